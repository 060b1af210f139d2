package collector

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/marketsync/marketsync/sdk"
)

// CodeBadCursor is the code of the INVALID error for a cursor this plugin
// did not issue, or issued for another scope.
const CodeBadCursor = "bad_cursor"

// cursor is where a listing resumes: the platform's page number and the
// page size it was counted in (pages of another size would start
// elsewhere), for one scope. It travels base64url-encoded so that callers
// treat it as opaque.
type cursor struct {
	scope string
	page  int64
	size  int64
}

const cursorVersion = "v1"

func (c cursor) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join([]string{
		cursorVersion, strconv.FormatInt(c.page, 10), strconv.FormatInt(c.size, 10), c.scope,
	}, "|")))
}

// decodeCursor reads a cursor and checks that it belongs to scope.
func decodeCursor(s, scope string) (cursor, *sdk.Error) {
	bad := func(why string) (cursor, *sdk.Error) {
		return cursor{}, sdk.Invalid(CodeBadCursor, fmt.Sprintf("cursor %q %s", s, why))
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return bad("was not issued by this plugin")
	}
	parts := strings.SplitN(string(raw), "|", 4)
	if len(parts) != 4 || parts[0] != cursorVersion {
		return bad("was not issued by this plugin")
	}
	page, err1 := strconv.ParseInt(parts[1], 10, 64)
	size, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || page < 2 || size < 1 || size > maxListPage {
		return bad("was not issued by this plugin")
	}
	if parts[3] != scope {
		return bad(fmt.Sprintf("belongs to scope %q, not %q", parts[3], scope))
	}
	return cursor{scope: scope, page: page, size: size}, nil
}
