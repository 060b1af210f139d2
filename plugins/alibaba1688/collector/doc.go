// Package collector is the 1688 plugin: its description (limits, config
// schema), configuration, and the three collector operations.
//
// FetchProducts reads one offer per gateway call with
// alibaba.cross.productInfo and maps it into the canonical product:
// SKU properties become options named by the answer or, when it gives
// only their ids, by the category's attributes (alibaba.category.attribute.get,
// cached per category in names.go), decimal prices become integer fen
// without floating point, relative and protocol-relative image paths become
// https URLs, the title keeps the offer's language tag, an offer that is
// not on sale or does not exist is a per-item NOT_FOUND, and an offer
// without SKUs has one variant whose SKU is the offer id. Which of 1688's
// several prices becomes the variant's price is explained at unitPrice.
//
// ListProducts pages through one shop's offers with
// product.search.querySellerOfferList behind an opaque, resumable cursor;
// ResolveURLs turns the site's desktop and mobile offer URLs into ids
// without a call. Signing, transport and the gateway's error codes belong
// to package aop.
package collector
