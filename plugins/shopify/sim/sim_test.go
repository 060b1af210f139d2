package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"
)

type answer struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	Extensions struct {
		Cost struct {
			RequestedQueryCost float64        `json:"requestedQueryCost"`
			ActualQueryCost    *float64       `json:"actualQueryCost"`
			ThrottleStatus     throttleStatus `json:"throttleStatus"`
		} `json:"cost"`
	} `json:"extensions"`
}

func post(t *testing.T, r *Running, token, query string, vars map[string]any) (int, *answer) {
	t.Helper()
	return postHeader(t, r, http.Header{"X-Shopify-Access-Token": {token}}, query, vars)
}

// postHeader posts a document with the headers h.
func postHeader(t *testing.T, r *Running, h http.Header, query string, vars map[string]any) (int, *answer) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, r.URL+"/admin/api/"+APIVersion+"/graphql.json", bytes.NewReader(body))
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	json.NewDecoder(resp.Body).Decode(&a)
	return resp.StatusCode, &a
}

func gql(t *testing.T, r *Running, query string, vars map[string]any) *answer {
	t.Helper()
	_, a := post(t, r, r.Options().Token, query, vars)
	return a
}

func dataOf[T any](t *testing.T, a *answer, name string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(a.Data[name], &v); err != nil {
		t.Fatalf("%s: %v in %s", name, err, a.Data[name])
	}
	return v
}

type setResult struct {
	Product *struct {
		ID       string `json:"id"`
		Variants struct {
			Nodes []struct {
				ID            string `json:"id"`
				SKU           string `json:"sku"`
				InventoryItem struct {
					ID string `json:"id"`
				} `json:"inventoryItem"`
			} `json:"nodes"`
		} `json:"variants"`
	} `json:"product"`
	UserErrors []userError `json:"userErrors"`
}

const setDoc = `mutation($in: ProductSetInput!, $id: ProductSetIdentifiers) { p: productSet(identifier: $id, input: $in) { product { id } userErrors { field message code } } }`

func input(title string, skus ...string) map[string]any {
	var values, variants []map[string]any
	for i, sku := range skus {
		v := fmt.Sprintf("S%d", i)
		values = append(values, map[string]any{"name": v})
		variants = append(variants, map[string]any{
			"optionValues": []map[string]any{{"optionName": "Size", "name": v}}, "price": "10.50",
			"inventoryItem": map[string]any{"sku": sku}, "inventoryQuantities": []map[string]any{{"locationId": LocationID, "name": "available", "quantity": 5}},
		})
	}
	return map[string]any{"title": title, "productOptions": []map[string]any{{"name": "Size", "values": values}}, "variants": variants}
}

func create(t *testing.T, r *Running, title string, skus ...string) setResult {
	t.Helper()
	a := gql(t, r, setDoc, map[string]any{"in": input(title, skus...)})
	res := dataOf[setResult](t, a, "p")
	if len(res.UserErrors) > 0 || res.Product == nil {
		t.Fatalf("create: %+v %+v", res.UserErrors, a.Errors)
	}
	return res
}

func TestAuthAndVersion(t *testing.T) {
	r := ServeTest(t, Options{})
	if code, _ := post(t, r, "wrong", `{ shop { currencyCode } }`, nil); code != http.StatusUnauthorized {
		t.Errorf("a wrong token got %d, want 401", code)
	}
	resp, err := http.Post(r.URL+"/admin/api/2024-01/graphql.json", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token got %d", resp.StatusCode)
	}
}

// The bucket: mutations cost 10, a document whose requested cost is above
// what is available is THROTTLED without running, and the bucket refills
// at the restore rate.
func TestCostBucket(t *testing.T) {
	r := ServeTest(t, Options{BucketSize: 100, RestoreRate: 10})
	for i := range 10 {
		a := gql(t, r, setDoc, map[string]any{"in": input(fmt.Sprint("p", i), fmt.Sprint("sku", i))})
		if len(a.Errors) > 0 {
			t.Fatalf("call %d: %+v", i, a.Errors)
		}
		if got := a.Extensions.Cost.ThrottleStatus.CurrentlyAvailable; got != float64(100-10*(i+1)) {
			t.Errorf("after %d mutations %v available", i+1, got)
		}
	}
	a := gql(t, r, setDoc, map[string]any{"in": input("late", "late")})
	if len(a.Errors) != 1 || a.Errors[0].Extensions["code"] != "THROTTLED" || a.Extensions.Cost.ActualQueryCost != nil {
		t.Fatalf("an empty bucket answered %+v", a)
	}
	if r.ProductCount() != 10 || r.Stats().Throttled != 1 {
		t.Errorf("the throttled document ran: %d products", r.ProductCount())
	}
	r.Clock.Advance(time.Second)
	if a := gql(t, r, setDoc, map[string]any{"in": input("late", "late")}); len(a.Errors) > 0 {
		t.Errorf("after a second's restore: %+v", a.Errors)
	}
	// A query's requested cost counts connections at their first: size;
	// the actual cost what came back; the difference is refunded.
	r.Clock.Advance(10 * time.Second)
	a = gql(t, r, `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Product { id variants(first: 50) { nodes { id } } } } }`, map[string]any{"ids": []string{"gid://shopify/Product/1"}})
	c := a.Extensions.Cost
	if c.RequestedQueryCost != 53 || c.ActualQueryCost == nil || *c.ActualQueryCost != 2 || c.ThrottleStatus.CurrentlyAvailable != 98 {
		t.Errorf("cost %+v, actual %v", c, *c.ActualQueryCost)
	}
	a = gql(t, r, `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Product { variants(first: 250) { nodes { id } } } } }`, map[string]any{"ids": []string{"a", "b", "c", "d", "e"}})
	if len(a.Errors) != 1 || a.Errors[0].Extensions["code"] != "MAX_COST_EXCEEDED" {
		t.Errorf("a document above the single query limit: %+v", a.Errors)
	}
}

func TestProductSetUserErrors(t *testing.T) {
	r := ServeTest(t, Options{})
	long := strings.Repeat("x", MaxTitle+1)
	bad := input("ok", "A", "B")
	bad["variants"].([]map[string]any)[1]["price"] = "12.345"
	dup := input("ok", "A", "A")
	status := input("ok", "A")
	status["status"] = "HIDDEN"
	badWas := input("ok", "A")
	badWas["variants"].([]map[string]any)[0]["compareAtPrice"] = "-1"
	for name, tc := range map[string]struct {
		in    map[string]any
		code  string
		field string
	}{
		"title too long": {input(long, "A"), "INVALID_INPUT", "input.title"},
		"invalid price":  {bad, "INVALID_VARIANT", "input.variants.1.price"},
		"duplicate SKU":  {dup, "DUPLICATED_VALUE", "input.variants.1.inventoryItem.sku"},
		"unknown status": {status, "INVALID_INPUT", "input.status"},
		"bad compare-at": {badWas, "INVALID_VARIANT", "input.variants.0.compareAtPrice"},
	} {
		t.Run(name, func(t *testing.T) {
			res := dataOf[setResult](t, gql(t, r, setDoc, map[string]any{"in": tc.in}), "p")
			if res.Product != nil || len(res.UserErrors) != 1 || res.UserErrors[0].Code != tc.code || strings.Join(res.UserErrors[0].Field, ".") != tc.field {
				t.Errorf("got %+v", res)
			}
		})
	}
	if r.ProductCount() != 0 {
		t.Errorf("refused inputs made %d products", r.ProductCount())
	}
}

// productSet's lists are what the input holds: a variant left out is
// deleted; one with the same option values keeps its id and stock; a
// custom ID upserts.
func TestProductSetListsAndCustomID(t *testing.T) {
	r := ServeTest(t, Options{})
	custom := map[string]any{"customId": map[string]any{"namespace": "marketsync", "key": "source_id", "value": "taobao:1"}}
	first := dataOf[setResult](t, gql(t, r, setDoc, map[string]any{"in": input("one", "A", "B", "C"), "id": custom}), "p")
	again := dataOf[setResult](t, gql(t, r, setDoc, map[string]any{"in": input("one again", "A", "B"), "id": custom}), "p")
	if first.Product == nil || again.Product == nil || first.Product.ID != again.Product.ID {
		t.Fatalf("custom id upsert made %+v then %+v", first, again)
	}
	if r.ProductCount() != 1 {
		t.Fatalf("%d products", r.ProductCount())
	}
	if _, ok := r.Stock(first.Product.ID, "C"); ok {
		t.Error("variant C was left out but still exists")
	}
	if n, ok := r.Stock(first.Product.ID, "A"); !ok || n != 5 {
		t.Errorf("variant A lost its stock: %d %v", n, ok)
	}
}

const stockDoc = `mutation($in: InventorySetQuantitiesInput!, $k: String!) { s: inventorySetQuantities(input: $in) @idempotent(key: $k) { inventoryAdjustmentGroup { reason } userErrors { field message code } } }`

func stockInput(item string, qty int64, from any) map[string]any {
	return map[string]any{"name": "available", "reason": "correction", "quantities": []map[string]any{{"inventoryItemId": item, "locationId": LocationID, "quantity": qty, "changeFromQuantity": from}}}
}

type stockResult struct {
	Group      any         `json:"inventoryAdjustmentGroup"`
	UserErrors []userError `json:"userErrors"`
}

// Compare-and-swap: a stale changeFromQuantity is refused with
// CHANGE_FROM_QUANTITY_STALE and changes nothing; the key is required; a
// replayed key returns the first answer and changes nothing.
func TestInventoryCompareAndSwapAndIdempotency(t *testing.T) {
	r := ServeTest(t, Options{})
	p := create(t, r, "stocked", "A")
	item, pid := p.Product.Variants.Nodes, p.Product.ID
	_ = item
	var inv string
	a := gql(t, r, `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Product { variants(first: 5) { nodes { inventoryItem { id } } } } } }`, map[string]any{"ids": []string{pid}})
	var nodes []struct {
		Variants struct {
			Nodes []struct {
				InventoryItem struct{ ID string } `json:"inventoryItem"`
			} `json:"nodes"`
		} `json:"variants"`
	}
	json.Unmarshal(a.Data["nodes"], &nodes)
	inv = nodes[0].Variants.Nodes[0].InventoryItem.ID

	stale := dataOf[stockResult](t, gql(t, r, stockDoc, map[string]any{"in": stockInput(inv, 9, 4), "k": "k1"}), "s")
	if len(stale.UserErrors) != 1 || stale.UserErrors[0].Code != "CHANGE_FROM_QUANTITY_STALE" {
		t.Fatalf("stale compare: %+v", stale)
	}
	if n, _ := r.Stock(pid, "A"); n != 5 {
		t.Errorf("a stale write changed the stock to %d", n)
	}
	ok := dataOf[stockResult](t, gql(t, r, stockDoc, map[string]any{"in": stockInput(inv, 9, 5), "k": "k2"}), "s")
	if len(ok.UserErrors) != 0 || ok.Group == nil {
		t.Fatalf("a fresh compare: %+v", ok)
	}
	r.MerchantSetStock(pid, "A", 3)
	replay := dataOf[stockResult](t, gql(t, r, stockDoc, map[string]any{"in": stockInput(inv, 9, 5), "k": "k2"}), "s")
	if len(replay.UserErrors) != 0 || replay.Group == nil {
		t.Errorf("the replay did not return the first answer: %+v", replay)
	}
	if n, _ := r.Stock(pid, "A"); n != 3 {
		t.Errorf("the replay changed the stock to %d", n)
	}
	a = gql(t, r, `mutation($in: InventorySetQuantitiesInput!) { s: inventorySetQuantities(input: $in) { userErrors { code } } }`, map[string]any{"in": stockInput(inv, 1, nil)})
	if len(a.Errors) != 1 || !strings.Contains(a.Errors[0].Message, "@idempotent") {
		t.Errorf("a write without a key: %+v", a.Errors)
	}
	// RaceStock: the merchant's change lands between a read and the write.
	r.RaceStock(pid, "A", 7)
	race := dataOf[stockResult](t, gql(t, r, stockDoc, map[string]any{"in": stockInput(inv, 2, 3), "k": "k3"}), "s")
	if len(race.UserErrors) != 1 || race.UserErrors[0].Code != "CHANGE_FROM_QUANTITY_STALE" {
		t.Errorf("a raced write: %+v", race)
	}
	if n, _ := r.Stock(pid, "A"); n != 7 {
		t.Errorf("stock %d after the race, want the merchant's 7", n)
	}
}

// A bulk mutation: staged upload, run, poll, JSONL result per line.
func TestBulkMutation(t *testing.T) {
	r := ServeTest(t, Options{BulkPolls: 2})
	a := gql(t, r, `mutation($input: [StagedUploadInput!]!) { stagedUploadsCreate(input: $input) { stagedTargets { url parameters { name value } } userErrors { message } } }`,
		map[string]any{"input": []map[string]any{{"resource": "BULK_MUTATION_VARIABLES", "filename": "v.jsonl", "mimeType": "text/jsonl", "httpMethod": "POST"}}})
	staged := dataOf[struct {
		StagedTargets []struct {
			URL        string
			Parameters []struct{ Name, Value string }
		} `json:"stagedTargets"`
	}](t, a, "stagedUploadsCreate")
	target := staged.StagedTargets[0]
	var file bytes.Buffer
	for i := range 5 {
		line, _ := json.Marshal(map[string]any{"in": input(fmt.Sprint("bulk ", i), fmt.Sprint("B", i))})
		file.Write(append(line, '\n'))
	}
	bad, _ := json.Marshal(map[string]any{"in": input(strings.Repeat("y", 300), "BX")})
	file.Write(append(bad, '\n'))
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	var key string
	for _, p := range target.Parameters {
		mw.WriteField(p.Name, p.Value)
		if p.Name == "key" {
			key = p.Value
		}
	}
	fw, _ := mw.CreateFormFile("file", "v.jsonl")
	fw.Write(file.Bytes())
	mw.Close()
	resp, err := http.Post(target.URL, mw.FormDataContentType(), &form)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %v %v", err, resp)
	}
	run := gql(t, r, `mutation($m: String!, $p: String!) { bulkOperationRunMutation(mutation: $m, stagedUploadPath: $p) { bulkOperation { id } userErrors { code } } }`,
		map[string]any{"m": setDoc, "p": key})
	op := dataOf[struct {
		BulkOperation struct{ ID string } `json:"bulkOperation"`
	}](t, run, "bulkOperationRunMutation")
	var status struct {
		Status string
		URL    *string
	}
	for polls := 0; status.Status != "COMPLETED"; polls++ {
		if polls > 3 {
			t.Fatal("never completed")
		}
		status = dataOf[struct {
			Status string
			URL    *string
		}](t, gql(t, r, `query($id: ID!) { node(id: $id) { ... on BulkOperation { status url } } }`, map[string]any{"id": op.BulkOperation.ID}), "node")
	}
	res, err := http.Get(*status.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if len(lines) != 6 || r.ProductCount() != 5 {
		t.Fatalf("%d result lines, %d products", len(lines), r.ProductCount())
	}
	if !strings.Contains(lines[5], `"__lineNumber":5`) || !strings.Contains(lines[5], "Title is too long") {
		t.Errorf("the refused line: %s", lines[5])
	}
}

// Every change sends a webhook signed with the client secret, to the
// configured URL; the merchant's own changes too.
func TestWebhooksSigned(t *testing.T) {
	got := make(chan *http.Request, 10)
	bodies := make(chan []byte, 10)
	hook := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	})
	rcv := serveHandler(t, hook)
	r := ServeTest(t, Options{WebhookURL: rcv})
	p := create(t, r, "hooked", "H")
	req, body := <-got, <-bodies
	if req.Header.Get("X-Shopify-Topic") != "products/create" || req.Header.Get("X-Shopify-Hmac-Sha256") != Sign(DefaultSecret, body) ||
		req.Header.Get("X-Shopify-Webhook-Id") == "" || req.Header.Get("X-Shopify-Shop-Domain") != DefaultShop {
		t.Errorf("delivery headers %v", req.Header)
	}
	resp, err := http.Post(r.URL+"/sim/admin/products/"+strings.TrimPrefix(p.Product.ID, "gid://shopify/Product/"), "application/json", strings.NewReader(`{"title": "renamed by the merchant"}`))
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("merchant edit: %v %v", err, resp)
	}
	req, body = <-got, <-bodies
	if req.Header.Get("X-Shopify-Topic") != "products/update" || !strings.Contains(string(body), "renamed by the merchant") || req.Header.Get("X-Shopify-Hmac-Sha256") != Sign(DefaultSecret, body) {
		t.Errorf("merchant delivery %v %s", req.Header, body)
	}
	if n := len(r.Deliveries()); n != 2 {
		t.Errorf("%d deliveries recorded", n)
	}
}
