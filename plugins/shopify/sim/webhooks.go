package sim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Sign is the X-Shopify-Hmac-Sha256 of a webhook body: the base64
// HMAC-SHA256 of the raw body keyed with the app's client secret ("Verify
// webhook deliveries",
// https://shopify.dev/docs/apps/build/webhooks/verify-deliveries).
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// hook builds a signed delivery with the headers Shopify sends.
func (s *Server) hookLocked(topic string, payload any) *Delivery {
	body, _ := json.Marshal(payload)
	n := s.next()
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Shopify-Topic", topic)
	h.Set("X-Shopify-Hmac-Sha256", Sign(s.opts.Secret, body))
	h.Set("X-Shopify-Shop-Domain", s.opts.Shop)
	h.Set("X-Shopify-API-Version", APIVersion)
	h.Set("X-Shopify-Webhook-Id", fmt.Sprintf("b54557e4-bdd9-4b37-8a5f-%012d", n))
	h.Set("X-Shopify-Event-Id", strconv.FormatInt(n, 10))
	h.Set("X-Shopify-Triggered-At", s.gw.Now().UTC().Format(time.RFC3339Nano))
	return &Delivery{Header: h, Body: body}
}

func (s *Server) productHookLocked(topic string, p *product) *Delivery {
	var variants []map[string]any
	for _, v := range p.variants {
		variants = append(variants, map[string]any{"id": v.id, "sku": v.sku, "price": v.price, "inventory_item_id": v.item, "inventory_quantity": s.stock[v.item]})
	}
	return s.hookLocked(topic, map[string]any{
		"id": p.id, "admin_graphql_api_id": gid("Product", p.id), "title": p.title, "status": p.status,
		"updated_at": p.updated.UTC().Format(time.RFC3339), "variants": variants,
	})
}

func (s *Server) inventoryHookLocked(item int64) *Delivery {
	return s.hookLocked("inventory_levels/update", map[string]any{
		"inventory_item_id": item, "location_id": 1, "available": s.stock[item],
		"admin_graphql_api_id": fmt.Sprintf("gid://shopify/InventoryLevel/1?inventory_item_id=%d", item),
		"updated_at":           s.gw.Now().UTC().Format(time.RFC3339),
	})
}

// deliver records each delivery and posts it to the webhook URL, outside
// the store's lock.
func (s *Server) deliver(ds ...*Delivery) {
	for _, d := range ds {
		if d == nil {
			continue
		}
		if s.opts.WebhookURL != "" {
			req, err := http.NewRequest(http.MethodPost, s.opts.WebhookURL, bytes.NewReader(d.Body))
			if err == nil {
				req.Header = d.Header.Clone()
				var resp *http.Response
				if resp, err = s.hooks.Do(req); err == nil {
					resp.Body.Close()
				}
			}
			d.Err = err
		}
		s.mu.Lock()
		s.deliveries = append(s.deliveries, *d)
		s.mu.Unlock()
	}
}
