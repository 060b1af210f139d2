package binding_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/marketsync/marketsync/daemon/binding"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
)

func tshirt() *binding.Binding {
	return &binding.Binding{
		SourcePlatform: "taobao", SourceID: "6543210/颜色", Target: "eu-store", RemoteID: "gid://shopify/Product/1",
		Variants: map[string]string{"T-RED-M": "gid://shopify/ProductVariant/11", "T-RED-L": "gid://shopify/ProductVariant/12"},
	}
}

func TestBindings(t *testing.T) {
	for mode, o := range storetest.Modes(t) {
		t.Run(mode, func(t *testing.T) {
			db := storetest.Open(t, o)
			b := tshirt()
			if err := db.Update(func(txn *store.Txn) error { return binding.Put(txn, b) }); err != nil {
				t.Fatal(err)
			}
			view := func(fn func(*store.Txn) error) {
				t.Helper()
				if err := db.View(fn); err != nil {
					t.Fatal(err)
				}
			}
			view(func(txn *store.Txn) error {
				got, err := binding.Get(txn, "taobao", "6543210/颜色", "eu-store")
				if err != nil || !reflect.DeepEqual(got, b) {
					t.Errorf("Get = %+v, %v", got, err)
				}
				got, err = binding.ByRemote(txn, "eu-store", "gid://shopify/Product/1")
				if err != nil || got.SourceID != b.SourceID {
					t.Errorf("ByRemote = %+v, %v", got, err)
				}
				got, sku, err := binding.ByRemoteVariant(txn, "eu-store", "gid://shopify/ProductVariant/12")
				if err != nil || sku != "T-RED-L" || got.SourceID != b.SourceID {
					t.Errorf("ByRemoteVariant = %+v, %q, %v", got, sku, err)
				}
				if _, err := binding.Get(txn, "taobao", "6543210/颜色", "other-store"); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Get on another target = %v, want ErrNotFound", err)
				}
				return nil
			})

			// Replacing drops reverse entries the binding no longer has.
			b2 := tshirt()
			b2.RemoteID = "gid://shopify/Product/2"
			delete(b2.Variants, "T-RED-L")
			if err := db.Update(func(txn *store.Txn) error { return binding.Put(txn, b2) }); err != nil {
				t.Fatal(err)
			}
			view(func(txn *store.Txn) error {
				if _, err := binding.ByRemote(txn, "eu-store", "gid://shopify/Product/1"); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("old remote id still bound: %v", err)
				}
				if _, _, err := binding.ByRemoteVariant(txn, "eu-store", "gid://shopify/ProductVariant/12"); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("removed variant still bound: %v", err)
				}
				if _, sku, err := binding.ByRemoteVariant(txn, "eu-store", "gid://shopify/ProductVariant/11"); err != nil || sku != "T-RED-M" {
					t.Errorf("kept variant = %q, %v", sku, err)
				}
				return nil
			})

			// Another source product cannot take the same remote product.
			other := tshirt()
			other.SourceID = "999"
			other.RemoteID = "gid://shopify/Product/2"
			other.Variants = nil
			err := db.Update(func(txn *store.Txn) error { return binding.Put(txn, other) })
			if err == nil || !strings.Contains(err.Error(), "already bound to taobao/6543210/颜色 → eu-store") {
				t.Errorf("Put of a taken remote id = %v", err)
			}

			if err := db.Update(func(txn *store.Txn) error { return binding.Delete(txn, "taobao", "6543210/颜色", "eu-store") }); err != nil {
				t.Fatal(err)
			}
			view(func(txn *store.Txn) error {
				if _, err := binding.ByRemote(txn, "eu-store", "gid://shopify/Product/2"); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("ByRemote after Delete = %v", err)
				}
				if _, _, err := binding.ByRemoteVariant(txn, "eu-store", "gid://shopify/ProductVariant/11"); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("ByRemoteVariant after Delete = %v", err)
				}
				return nil
			})
		})
	}
}

// TestPutCommitsWithTheCallersTxn: a binding written in a transaction that
// fails is not there.
func TestPutCommitsWithTheCallersTxn(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	boom := errors.New("batch failed")
	err := db.Update(func(txn *store.Txn) error {
		if err := binding.Put(txn, tshirt()); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	_ = db.View(func(txn *store.Txn) error {
		if _, err := binding.ByRemote(txn, "eu-store", "gid://shopify/Product/1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ByRemote = %v, want ErrNotFound", err)
		}
		return nil
	})
}

func TestInvalid(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	for name, edit := range map[string]func(*binding.Binding){
		"slash in platform": func(b *binding.Binding) { b.Target = "eu/store" },
		"empty remote id":   func(b *binding.Binding) { b.RemoteID = "" },
		"NUL in id":         func(b *binding.Binding) { b.SourceID = "a\x00b" },
		"empty variant id":  func(b *binding.Binding) { b.Variants["X"] = "" },
	} {
		b := tshirt()
		edit(b)
		if err := db.Update(func(txn *store.Txn) error { return binding.Put(txn, b) }); err == nil {
			t.Errorf("%s: Put succeeded", name)
		}
	}
}
