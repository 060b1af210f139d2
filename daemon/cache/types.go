package cache

import (
	"fmt"
	"regexp"
	"time"
)

// A Type is a kind of cached platform read, with its own TTL and
// statistics: product_info, price, stock, remote_product. The set is
// fixed here, so the configuration, the metrics and the API agree on it;
// adding a type is one line in Types and one attribute in the config's
// cache.ttl block.
type Type struct {
	// Name is the type's name in keys, metrics, the API and the config.
	Name string
	// TTL is how long an entry lives unless Options.TTL overrides it.
	TTL time.Duration
	// About says what is cached, for documentation.
	About string
}

// The registered types. TTLs follow how fast the data changes on a
// platform: stock moves with every order, prices with promotions, product
// details seldom.
var (
	ProductInfo   = Type{Name: "product_info", TTL: 10 * time.Minute, About: "a source product as collected: title, description, images, attributes, SKUs"}
	Price         = Type{Name: "price", TTL: time.Minute, About: "the prices of a product's SKUs"}
	Stock         = Type{Name: "stock", TTL: 30 * time.Second, About: "the stock of a product's SKUs"}
	RemoteProduct = Type{Name: "remote_product", TTL: 5 * time.Minute, About: "a product as a store holds it, read before a write to diff against"}
)

// Types lists every registered type, in the order statistics report them.
var Types = []Type{ProductInfo, Price, Stock, RemoteProduct}

// typeName is what a type name may look like: it is a key segment and a
// metric label.
var typeName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// lookup returns the index of the registered type called name.
func lookup(name string) (int, error) {
	for i, t := range Types {
		if t.Name == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%w %q", ErrUnknownType, name)
}

// TypeNames returns the names of the registered types.
func TypeNames() []string {
	names := make([]string, len(Types))
	for i, t := range Types {
		names[i] = t.Name
	}
	return names
}
