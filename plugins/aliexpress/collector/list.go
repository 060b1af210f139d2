package collector

import (
	"fmt"
	"strconv"

	"github.com/marketsync/marketsync/plugins/aliexpress/iop"
	"github.com/marketsync/marketsync/sdk"
)

// Page is one page of aliexpress.solution.product.list.get.
type Page struct {
	IDs []string
	// Current is the page's number, from 1; Total the number of pages.
	Current, Total int64
}

// ReadPage takes the ids out of one answer of the product list, or the
// error the answer reports with success false. Such an answer got past
// the gateway's checks of the request, and the API documents no codes for
// it (its one example is 16009999 "系统异常!", system exception), so it is
// taken for the service's failure: UNAVAILABLE, retried with backoff.
func ReadPage(r *ProductListResponse) (Page, *sdk.Error) {
	res := r.Result
	if res.Success == "false" {
		code := string(res.ErrorCode)
		if code == "" {
			code = "list_failed"
		}
		msg := res.ErrorMessage
		if msg == "" {
			msg = res.ErrorMsg
		}
		return Page{}, sdk.Unavailable(code, msg)
	}
	p := Page{IDs: make([]string, 0, len(res.Items))}
	var err error
	if p.Current, err = strconv.ParseInt(string(res.CurrentPage), 10, 64); err != nil {
		return Page{}, sdk.Unavailable(iop.CodeMalformed, fmt.Sprintf("current_page %q is not a page number", res.CurrentPage))
	}
	if res.TotalPage != "" {
		if p.Total, err = strconv.ParseInt(string(res.TotalPage), 10, 64); err != nil {
			return Page{}, sdk.Unavailable(iop.CodeMalformed, fmt.Sprintf("total_page %q is not a number", res.TotalPage))
		}
	}
	for _, it := range res.Items {
		if id := string(it.ProductID); id != "" {
			p.IDs = append(p.IDs, id)
		}
	}
	return p, nil
}
