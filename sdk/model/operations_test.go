package model

import "testing"

func TestRealignWrites(t *testing.T) {
	keys := []string{"k1", "k2", "k3"}
	for name, tc := range map[string]struct {
		got  []*WriteResult
		want []string // remote ids; "" means the missing-result error
	}{
		"echoed keys out of order": {
			got:  []*WriteResult{{IdempotencyKey: "k3", RemoteId: "r3"}, {IdempotencyKey: "k1", RemoteId: "r1"}, {IdempotencyKey: "k2", RemoteId: "r2"}},
			want: []string{"r1", "r2", "r3"},
		},
		"positional": {
			got:  []*WriteResult{{RemoteId: "r1"}, {RemoteId: "r2"}, {RemoteId: "r3"}},
			want: []string{"r1", "r2", "r3"},
		},
		"one left out": {
			got:  []*WriteResult{{IdempotencyKey: "k1", RemoteId: "r1"}, {IdempotencyKey: "k3", RemoteId: "r3"}},
			want: []string{"r1", "", "r3"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			out := realignWrites(keys, tc.got)
			for i, w := range tc.want {
				if out[i].GetIdempotencyKey() != keys[i] {
					t.Errorf("result %d has key %q", i, out[i].GetIdempotencyKey())
				}
				if w == "" {
					if out[i].GetError().GetCode() != CodeMissingResult {
						t.Errorf("result %d: %v, want missing-result error", i, out[i])
					}
				} else if out[i].GetRemoteId() != w {
					t.Errorf("result %d: remote id %q, want %q", i, out[i].GetRemoteId(), w)
				}
			}
		})
	}
}
