package cache

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
)

// Codec turns the values of a Typed cache into the bytes L2 keeps, and
// back.
type Codec[V any] struct {
	Marshal   func(V) ([]byte, error)
	Unmarshal func([]byte) (V, error)
}

// Typed is the cache seen through one type (product_info, price, ...) and
// one Go type of value. Values it returns may be shared with other
// callers and with L1: treat them as read-only (clone a message before
// changing it). Bind each cache type to one Go type only.
type Typed[V any] struct {
	c     *Cache
	typ   int
	codec codec
}

// NewTyped binds c to the registered type t, with codec for L2.
func NewTyped[V any](c *Cache, t Type, cd Codec[V]) (*Typed[V], error) {
	i, err := lookup(t.Name)
	if err != nil {
		return nil, err
	}
	return &Typed[V]{c: c, typ: i, codec: codec{
		encode: func(v any) ([]byte, error) { return cd.Marshal(v.(V)) },
		decode: func(b []byte) (any, error) { return cd.Unmarshal(b) },
	}}, nil
}

// Proto binds c to t for protobuf messages such as *model.Product, which
// L2 keeps in their wire encoding (deterministic, so equal values store
// equal bytes).
func Proto[M proto.Message](c *Cache, t Type) (*Typed[M], error) {
	var zero M
	mt := zero.ProtoReflect().Type()
	return NewTyped(c, t, Codec[M]{
		Marshal: func(m M) ([]byte, error) { return proto.MarshalOptions{Deterministic: true}.Marshal(m) },
		Unmarshal: func(b []byte) (M, error) {
			m := mt.New().Interface().(M)
			return m, proto.Unmarshal(b, m)
		},
	})
}

// Bytes binds c to t for raw bytes, kept as they are.
func Bytes(c *Cache, t Type) (*Typed[[]byte], error) {
	return NewTyped(c, t, Codec[[]byte]{
		Marshal:   func(b []byte) ([]byte, error) { return b, nil },
		Unmarshal: func(b []byte) ([]byte, error) { return b, nil },
	})
}

// Name is the bound type's name.
func (t *Typed[V]) Name() string { return Types[t.typ].Name }

// TTL is the bound type's TTL in force.
func (t *Typed[V]) TTL() time.Duration { return t.c.ttl[t.typ] }

// Get returns the value under key from L1, else from L2, else from load,
// the platform call, whose result it stores in both. Concurrent Gets of a
// key that is in neither level share one call to load, made with the
// context of the first of them. A load's error is returned and, unless
// negative caching is on, not cached.
func (t *Typed[V]) Get(ctx context.Context, key string, load func(context.Context) (V, error)) (V, error) {
	var zero V
	v, err := t.c.get(ctx, t.typ, key, t.codec, func(ctx context.Context) (any, error) { return load(ctx) })
	if err != nil {
		return zero, err
	}
	typed, ok := v.(V)
	if !ok {
		return zero, fmt.Errorf("cache: %s/%s holds a %T, not a %T: bind each type to one Go type", t.Name(), key, v, zero)
	}
	return typed, nil
}

// Set stores v under key in both levels for the type's TTL: after a write
// to the platform, or a webhook that carried the new state. Loads in
// flight for the key do not overwrite it.
func (t *Typed[V]) Set(key string, v V) error {
	raw, err := t.codec.encode(v)
	if err != nil {
		return fmt.Errorf("cache: encode %s/%s: %w", t.Name(), key, err)
	}
	if err := t.c.set(t.typ, key, v, raw); err != nil {
		return fmt.Errorf("cache: set %s/%s: %w", t.Name(), key, err)
	}
	return nil
}

// Invalidate removes key from both levels.
func (t *Typed[V]) Invalidate(key string) error { return t.c.Invalidate(t.Name(), key) }
