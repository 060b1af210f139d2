package collector

import (
	"github.com/marketsync/marketsync/sdk"
)

// CodeBadCursor is the error of a cursor this plugin did not issue.
const CodeBadCursor = sdk.CodeBadCursor

// cursor is where a shop listing resumes: the shop, the next page (the
// platform's beginPage, from 1) and the page size the pages were counted
// in. It travels as sdk.EncodeCursor makes it, opaque to the host, and
// holds all the state, so a listing resumes after a restart of anything.
type cursor struct {
	Version int    `json:"v"`
	Shop    string `json:"shop"`
	Page    int    `json:"page"`
	Size    int    `json:"size"`
}

func (c cursor) encode() string { return sdk.EncodeCursor(c) }

func decodeCursor(s string) (cursor, *sdk.Error) {
	var c cursor
	if err := sdk.DecodeCursor(s, &c); err != nil || c.Version != 1 || c.Shop == "" || c.Page < 1 || c.Size < 1 || c.Size > maxListPage {
		return cursor{}, sdk.BadCursor(s)
	}
	return c, nil
}
