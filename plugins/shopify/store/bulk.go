package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"

	"github.com/marketsync/marketsync/plugins/shopify/admin"
	"github.com/marketsync/marketsync/sdk"
)

// The bulk import of "Bulk import data with the GraphQL Admin API"
// (https://shopify.dev/docs/api/usage/bulk-operations/imports): stage a
// JSONL file of variables, run one mutation over it, poll the operation,
// read the JSONL result, one line per input line.
const (
	stageDocument = `mutation stage($input: [StagedUploadInput!]!) {
  stagedUploadsCreate(input: $input) { stagedTargets { url resourceUrl parameters { name value } } userErrors { field message } }
}`
	runDocument = `mutation run($mutation: String!, $path: String!) {
  bulkOperationRunMutation(mutation: $mutation, stagedUploadPath: $path) { bulkOperation { id status } userErrors { field message code } }
}`
	pollDocument = `query poll($id: ID!) {
  node(id: $id) { ... on BulkOperation { id status errorCode objectCount url partialDataUrl } }
}`
	// bulkSet is the mutation each line runs, with the line's variables.
	bulkSet = `mutation set($identifier: ProductSetIdentifiers, $input: ProductSetInput!) { productSet(identifier: $identifier, input: $input, synchronous: true) { product { id } userErrors { field message code } } }`
)

// bulkUpsert writes every product through one bulk mutation; the calls
// are the same five or so whatever the batch's size.
func (p *Plugin) bulkUpsert(ctx context.Context, s *settings, writes []write, results []sdk.WriteResult) (*sdk.Quota, error) {
	var file bytes.Buffer
	for _, w := range writes {
		line, err := json.Marshal(map[string]any{"identifier": w.identifier, "input": w.input})
		if err != nil {
			return nil, sdk.Invalid("bad_request", err.Error())
		}
		file.Write(line)
		file.WriteByte('\n')
	}
	var quota *sdk.Quota
	call := func(doc string, vars map[string]any, out any) error {
		resp, err := s.client.Do(ctx, doc, vars)
		quota = admin.Tally(quota, resp)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(resp.Data, out); err != nil {
			return sdk.Unavailable(admin.CodeMalformed, err.Error())
		}
		return nil
	}

	var staged struct {
		StagedUploadsCreate struct {
			StagedTargets []struct {
				URL        string `json:"url"`
				Parameters []struct {
					Name  string `json:"name"`
					Value string `json:"value"`
				} `json:"parameters"`
			} `json:"stagedTargets"`
			UserErrors []admin.UserError `json:"userErrors"`
		} `json:"stagedUploadsCreate"`
	}
	err := call(stageDocument, map[string]any{"input": []map[string]any{{
		"resource": "BULK_MUTATION_VARIABLES", "filename": "products.jsonl", "mimeType": "text/jsonl", "httpMethod": "POST",
	}}}, &staged)
	if err != nil {
		return quota, err
	}
	if ue := staged.StagedUploadsCreate.UserErrors; len(ue) > 0 || len(staged.StagedUploadsCreate.StagedTargets) != 1 {
		return quota, sdk.Unavailable("staged_upload", fmt.Sprintf("stagedUploadsCreate gave no target: %v", ue))
	}
	target := staged.StagedUploadsCreate.StagedTargets[0]
	var path string
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	for _, prm := range target.Parameters {
		mw.WriteField(prm.Name, prm.Value)
		if prm.Name == "key" {
			path = prm.Value
		}
	}
	fw, _ := mw.CreateFormFile("file", "products.jsonl")
	fw.Write(file.Bytes())
	mw.Close()
	up, err := http.NewRequestWithContext(ctx, http.MethodPost, target.URL, &form)
	if err != nil {
		return quota, sdk.Invalid("staged_upload", err.Error())
	}
	up.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := s.http.Do(ctx, up)
	if err != nil {
		return quota, err
	}
	if se := resp.StatusError(); se != nil {
		return quota, sdk.Unavailable("staged_upload", "uploading the variables file: "+se.Error())
	}

	var run struct {
		BulkOperationRunMutation struct {
			BulkOperation *struct {
				ID string `json:"id"`
			} `json:"bulkOperation"`
			UserErrors []admin.UserError `json:"userErrors"`
		} `json:"bulkOperationRunMutation"`
	}
	if err := call(runDocument, map[string]any{"mutation": bulkSet, "path": path}, &run); err != nil {
		return quota, err
	}
	if ue := run.BulkOperationRunMutation.UserErrors; len(ue) > 0 || run.BulkOperationRunMutation.BulkOperation == nil {
		// OPERATION_IN_PROGRESS: another bulk mutation of this app runs;
		// the host tries again later.
		e := admin.UserError{Code: "bulk_mutation", Message: "no bulk operation"}
		if len(ue) > 0 {
			e = ue[0]
		}
		return quota, sdk.Unavailable(e.Code, e.Message)
	}
	id := run.BulkOperationRunMutation.BulkOperation.ID

	type operation struct {
		Status    string  `json:"status"`
		ErrorCode *string `json:"errorCode"`
		URL       *string `json:"url"`
	}
	var op operation
	for {
		var poll struct {
			Node *operation `json:"node"`
		}
		if err := call(pollDocument, map[string]any{"id": id}, &poll); err != nil {
			return quota, err
		}
		if poll.Node == nil {
			return quota, sdk.Unavailable("bulk_operation", "bulk operation "+id+" vanished")
		}
		op = *poll.Node
		if op.Status != "CREATED" && op.Status != "RUNNING" {
			break
		}
		// Waiting for the store's own work, not for quota: the poll
		// interval is the operator's.
		select {
		case <-ctx.Done():
			return quota, ctx.Err()
		case <-p.after(s.poll):
		}
	}
	if op.Status != "COMPLETED" {
		code := op.Status
		if op.ErrorCode != nil {
			code = *op.ErrorCode
		}
		return quota, sdk.Unavailable(code, "bulk operation "+id+" ended "+op.Status)
	}
	if op.URL == nil {
		// No result file: nothing ran (an empty input).
		for _, w := range writes {
			results[w.index].Err = sdk.Unavailable("bulk_operation", "the bulk operation produced no result")
		}
		return quota, nil
	}
	get, err := http.NewRequestWithContext(ctx, http.MethodGet, *op.URL, nil)
	if err != nil {
		return quota, sdk.Invalid("bulk_operation", err.Error())
	}
	res, err := s.http.Do(ctx, get)
	if err != nil {
		return quota, err
	}
	if se := res.StatusError(); se != nil {
		return quota, se
	}
	seen := make([]bool, len(writes))
	sc := bufio.NewScanner(bytes.NewReader(res.Body))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var line struct {
			Data struct {
				ProductSet *setPayload `json:"productSet"`
			} `json:"data"`
			Errors []admin.GraphQLError `json:"errors"`
			Line   *int                 `json:"__lineNumber"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.Line == nil || *line.Line < 0 || *line.Line >= len(writes) {
			continue
		}
		n := *line.Line
		seen[n] = true
		w := writes[n]
		switch {
		case len(line.Errors) > 0:
			results[w.index].Err = sdk.Invalid(admin.CodeGraphQL, line.Errors[0].Message)
		case line.Data.ProductSet == nil:
			results[w.index].Err = sdk.Unavailable(admin.CodeMalformed, "no productSet answer on this line")
		default:
			results[w.index].RemoteID, results[w.index].Err = line.Data.ProductSet.result()
		}
	}
	for n, ok := range seen {
		if !ok {
			results[writes[n].index].Err = sdk.Unavailable("bulk_missing_line", "the bulk result has no line for this product")
		}
	}
	return quota, nil
}
