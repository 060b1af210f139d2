package model

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// SchemaVersion is the version of this model that records are written
// with. It changes when a change to model.proto needs more than protobuf's
// own compatibility (a field whose meaning changes, a unit): then
// MigrateProduct learns to turn the older version into the new one, a
// stored record of every older version keeps a test that reads it, and the
// number goes up. Adding a field does not change it.
const SchemaVersion = 1

// Framing of a stored product record: the first byte says the layout.
const (
	// framingLegacy: 8 bytes of collection time (Unix ns, big endian),
	// then the Product, as the catalogue wrote before records carried a
	// schema version. Read as schema version 1.
	framingLegacy = 1
	// framingRecord: a ProductRecord.
	framingRecord = 2
)

// ErrNewerSchema means a record was written by a newer marketsync than
// this one; it is refused rather than read wrongly.
var ErrNewerSchema = errors.New("record written with a newer schema")

// MarshalProductRecord encodes p, collected at collectedAt, with the
// current schema version.
func MarshalProductRecord(p *Product, collectedAt time.Time) ([]byte, error) {
	rec := &ProductRecord{SchemaVersion: SchemaVersion, CollectedAt: timestamppb.New(collectedAt), Product: p}
	out := make([]byte, 1, 1+proto.Size(rec))
	out[0] = framingRecord
	return proto.MarshalOptions{UseCachedSize: true}.MarshalAppend(out, rec)
}

// UnmarshalProductRecord decodes a stored record of any schema version
// this build knows, migrated to the current one.
func UnmarshalProductRecord(b []byte) (*ProductRecord, error) {
	if len(b) == 0 {
		return nil, errors.New("empty record")
	}
	rec := new(ProductRecord)
	switch b[0] {
	case framingLegacy:
		if len(b) < 9 {
			return nil, fmt.Errorf("legacy record of %d bytes is truncated", len(b))
		}
		rec.SchemaVersion = 1
		rec.CollectedAt = timestamppb.New(time.Unix(0, int64(binary.BigEndian.Uint64(b[1:9]))))
		rec.Product = new(Product)
		if err := proto.Unmarshal(b[9:], rec.Product); err != nil {
			return nil, fmt.Errorf("legacy record: %w", err)
		}
	case framingRecord:
		if err := proto.Unmarshal(b[1:], rec); err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
	default:
		return nil, fmt.Errorf("unknown record framing %d", b[0])
	}
	if rec.GetSchemaVersion() > SchemaVersion {
		return nil, fmt.Errorf("%w: version %d, this build reads up to %d", ErrNewerSchema, rec.GetSchemaVersion(), SchemaVersion)
	}
	if err := migrateProduct(rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// migrateProduct brings rec up to SchemaVersion, one version at a time.
// Version 1 is the first; there is nothing to migrate yet.
func migrateProduct(rec *ProductRecord) error {
	if rec.GetSchemaVersion() == 0 {
		return errors.New("record has no schema version")
	}
	rec.SchemaVersion = SchemaVersion
	return nil
}
