package events

import "time"

// The data of each event type, as a sink receives it in the event's
// "data" field. Events say what happened and where to read more; they do
// not carry whole products, which GET /v1/products/{platform}:{id}
// returns.

// ProductCollected is the data of a product.collected event: a collect
// job stored the product in the catalogue (again, if it was there).
type ProductCollected struct {
	Platform  string `json:"platform"`
	ProductID string `json:"product_id"`
	JobID     string `json:"job_id"`
	Variants  int    `json:"variants"`
}

// JobFinished is the data of a job.finished event: a job ended, in one
// of the states succeeded, partial, failed or cancelled.
type JobFinished struct {
	JobID      string    `json:"job_id"`
	Kind       string    `json:"kind"`
	Platform   string    `json:"platform"`
	State      string    `json:"state"`
	Total      int32     `json:"total"`
	Succeeded  int32     `json:"succeeded"`
	Failed     int32     `json:"failed"`
	Error      string    `json:"error,omitempty"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
}
