// Package window counts events over a sliding time window, in fixed slots
// so memory and cost stay constant however many events arrive. The rate
// controller measures the send rate with it, and the retry budget counts
// calls and retries.
package window
