package sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// bulkOp is one bulk mutation: run when created, reported RUNNING for
// BulkPolls polls, then COMPLETED with its result file.
type bulkOp struct {
	id     int64
	polls  int
	lines  int
	result []byte
}

// stagedUploadsCreate answers with one target per input: a URL to POST
// the file to as multipart form data, with the parameters to send first.
// Its "key" parameter is the stagedUploadPath of bulkOperationRunMutation
// ("Bulk import data",
// https://shopify.dev/docs/api/usage/bulk-operations/imports).
func (s *Server) stagedUploadsCreate(args map[string]any, base string) (any, error) {
	var in struct {
		Input []struct {
			Resource   string `json:"resource"`
			Filename   string `json:"filename"`
			MimeType   string `json:"mimeType"`
			HTTPMethod string `json:"httpMethod"`
		} `json:"input"`
	}
	if err := decode(args, &in); err != nil {
		return nil, err
	}
	var targets []map[string]any
	var errs []userError
	for i, t := range in.Input {
		if t.Resource != "BULK_MUTATION_VARIABLES" {
			errs = append(errs, userError{Field: []string{"input", strconv.Itoa(i), "resource"}, Message: "only BULK_MUTATION_VARIABLES uploads are simulated"})
			continue
		}
		s.mu.Lock()
		n := s.next()
		s.mu.Unlock()
		key := fmt.Sprintf("tmp/bulk/%d/%s", n, t.Filename)
		targets = append(targets, map[string]any{
			"url": fmt.Sprintf("%s/staged/%d", base, n), "resourceUrl": nil,
			"parameters": []map[string]string{{"name": "key", "value": key}, {"name": "Content-Type", "value": t.MimeType}},
		})
	}
	if errs == nil {
		errs = []userError{}
	}
	return map[string]any{"stagedTargets": targets, "userErrors": errs}, nil
}

// serveUpload takes the multipart POST of a staged upload.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.Requests++; st.Uploads++ })
	if err := r.ParseMultipartForm(64 << 20); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	key := r.FormValue("key")
	f, _, err := r.FormFile("file")
	if key == "" || err != nil {
		http.Error(w, "the form needs key and file", http.StatusBadRequest)
		return
	}
	body, _ := io.ReadAll(f)
	s.mu.Lock()
	s.uploads[key] = body
	s.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
}

// bulkRun runs the mutation once per line of the uploaded JSONL, the
// line's object as its variables, before it answers (the operation then
// reports RUNNING for BulkPolls polls). One bulk mutation runs at a time:
// another started while one executes is refused with
// OPERATION_IN_PROGRESS.
func (s *Server) bulkRun(args map[string]any, base string) (any, error) {
	mutation, _ := args["mutation"].(string)
	path, _ := args["stagedUploadPath"].(string)
	fail := func(code, msg string) (any, error) {
		return map[string]any{"bulkOperation": nil, "userErrors": []userError{{Field: []string{"stagedUploadPath"}, Message: msg, Code: code}}}, nil
	}
	s.mu.Lock()
	file, ok := s.uploads[path]
	running := s.bulkRunning
	if ok && !running {
		s.bulkRunning = true
	}
	s.mu.Unlock()
	if running {
		return fail("OPERATION_IN_PROGRESS", "A bulk mutation operation for this app and shop is already in progress.")
	}
	if !ok {
		return fail("NO_SUCH_FILE", "The staged upload path does not name an uploaded file.")
	}
	defer func() {
		s.mu.Lock()
		s.bulkRunning = false
		s.mu.Unlock()
	}()
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(file))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	line := 0
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var vars map[string]any
		if err := json.Unmarshal(sc.Bytes(), &vars); err != nil {
			return fail("INVALID_STAGED_UPLOAD_FILE", fmt.Sprintf("Unexpected file structure - expected JSONL (line %d)", line+1))
		}
		doc, err := parse(mutation, vars)
		if err != nil || !doc.mutation || len(doc.fields) != 1 {
			return fail("INVALID_MUTATION", "The bulk mutation must be one mutation field")
		}
		s.count(func(st *Stats) { st.Fields[doc.fields[0].name]++ })
		res, err := s.mutate(doc.fields[0], base)
		entry := map[string]any{"__lineNumber": line}
		if err != nil {
			entry["errors"] = []gqlError{{Message: err.Error()}}
		} else {
			entry["data"] = map[string]any{doc.fields[0].name: res}
		}
		b, _ := json.Marshal(entry)
		out.Write(b)
		out.WriteByte('\n')
		line++
	}
	s.mu.Lock()
	op := &bulkOp{id: s.next(), lines: line, result: out.Bytes()}
	s.bulks[op.id] = op
	delete(s.uploads, path)
	s.mu.Unlock()
	return map[string]any{"bulkOperation": map[string]any{"id": gid("BulkOperation", op.id), "status": "CREATED"}, "userErrors": []userError{}}, nil
}

// node answers node(id:) for bulk operations: RUNNING for the first
// BulkPolls polls, then COMPLETED with the result file's URL.
func (s *Server) node(args map[string]any, base string) (any, float64, error) {
	g, _ := args["id"].(string)
	id, _ := parseGID("BulkOperation", g)
	s.mu.Lock()
	defer s.mu.Unlock()
	op := s.bulks[id]
	if op == nil {
		return nil, 1, nil
	}
	out := map[string]any{"id": g, "status": "RUNNING", "errorCode": nil, "objectCount": "0", "url": nil, "partialDataUrl": nil}
	if op.polls < s.opts.BulkPolls {
		op.polls++
		return out, 1, nil
	}
	out["status"] = "COMPLETED"
	out["objectCount"] = strconv.Itoa(op.lines)
	out["url"] = fmt.Sprintf("%s/bulk/%d", base, op.id)
	return out, 1, nil
}

// serveResult serves a bulk operation's JSONL result.
func (s *Server) serveResult(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.Requests++; st.Downloads++ })
	n, _ := strconv.ParseInt(r.PathValue("n"), 10, 64)
	s.mu.Lock()
	op := s.bulks[n]
	s.mu.Unlock()
	if op == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/jsonl")
	w.Write(op.result)
}
