// Package listing reads the AliExpress APIs' product answers and maps them
// into the SDK's canonical model. It owns the wire types of
// aliexpress.ds.product.get and aliexpress.solution.product.list.get (with
// the TOP-style lists the /sync gateway writes), the rules that make a
// canonical product of them, and the parsing of the platform's decimal
// prices into integer minor units.
//
// The rules, in one place: the title and texts are tagged with the
// language the API translated them into; each SKU becomes a variant whose
// options are its properties, named as the buyer sees them (the seller's
// own value name before the standard one); a product without options
// becomes one variant named by the product id; prices are read digit by
// digit in the currency the SKU states, refusing decimals the currency
// cannot hold; picture URLs are made absolute https; an off-shelf,
// deleted or not-shippable product is a per-item NOT_FOUND and a product
// the model cannot hold a per-item INVALID, never a failure of the batch.
package listing
