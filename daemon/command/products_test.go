package command

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
)

func catalogueAgent(t *testing.T) {
	t.Helper()
	b := fakeAgent(t, "")
	b.AddPlatform(client.Platform{Name: "taobao", Plugin: "taobao", State: client.PlatformReady})
	for _, p := range []client.Product{apitest.Product("taobao", "9"), apitest.Product("sandbox", "2"), apitest.Product("sandbox", "1")} {
		b.AddProduct(p)
	}
}

func TestProducts(t *testing.T) {
	catalogueAgent(t)
	r := runCLI(t, "", "products", "-limit", "2")
	r.want(t, 0, "Next page: marketsync products -cursor sandbox/2 -limit 2")
	got := lines(r.stdout)
	if len(got) < 3 || got[0] != "PLATFORM | ID | TITLE | VARIANTS | COLLECTED" ||
		got[1] != "sandbox | 1 | Cotton T-shirt | 2 | "+clock(apitest.Epoch) || !strings.HasPrefix(got[2], "sandbox | 2 |") {
		t.Errorf("products:\n%s", strings.Join(got, "\n"))
	}
	r = runCLI(t, "", "products", "-limit", "2", "-cursor", "sandbox/2")
	r.want(t, 0, "taobao")
	if strings.Contains(r.stdout, "Next page") {
		t.Errorf("the last page names a next:\n%s", r.stdout)
	}
	var page client.ProductPage
	r = runCLI(t, "", "products", "-json", "-platform", "taobao")
	r.want(t, 0)
	r.decodeJSON(t, &page)
	if len(page.Products) != 1 || page.Products[0].ID != "9" || page.Next != "" {
		t.Errorf("products -json = %+v", page)
	}
	runCLI(t, "", "products", "-platform", "nosuch").wantError(t, `no platform named "nosuch" is configured`)
	runCLI(t, "", "products", "-limit", "0").wantUsage(t, `limit must be a whole number from 1 to 1000, got "0"`, "products")
	runCLI(t, "", "products", "-json", "-jsonl").wantUsage(t, "give -json (one page as an object) or -jsonl (every product, a line each), not both", "products")
}

// TestProductsJSONLExportsEveryPage reads every page, one product a line.
func TestProductsJSONLExportsEveryPage(t *testing.T) {
	catalogueAgent(t)
	r := runCLI(t, "", "products", "-jsonl", "-limit", "1")
	r.want(t, 0)
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var p client.Product
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		got = append(got, p.Platform+":"+p.ID)
	}
	if strings.Join(got, ",") != "sandbox:1,sandbox:2,taobao:9" {
		t.Errorf("exported %v", got)
	}
}

func TestNoProducts(t *testing.T) {
	fakeAgent(t, "")
	runCLI(t, "", "products").want(t, 0, "No products")
}
