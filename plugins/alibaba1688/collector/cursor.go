package collector

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/marketsync/marketsync/sdk"
)

// CodeBadCursor is the error of a cursor this plugin did not issue.
const CodeBadCursor = "bad_cursor"

// cursor is where a shop listing resumes: the shop, the next page (the
// platform's beginPage, from 1) and the page size the pages were counted
// in. It travels base64url-encoded, opaque to the host, and holds all the
// state, so a listing resumes after a restart of anything.
type cursor struct {
	Version int    `json:"v"`
	Shop    string `json:"shop"`
	Page    int    `json:"page"`
	Size    int    `json:"size"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, *sdk.Error) {
	var c cursor
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil || c.Version != 1 || c.Shop == "" || c.Page < 1 || c.Size < 1 || c.Size > maxListPage {
		return cursor{}, sdk.Invalid(CodeBadCursor, fmt.Sprintf("cursor %q was not issued by this plugin", s))
	}
	return c, nil
}
