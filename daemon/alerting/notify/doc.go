// Package notify defines what the alert dispatcher hands to a receiver (a
// Message with its alerts and rendered text) and how a receiver reports
// failure (an Error, retryable or not, with the platform's code). Each
// receiver kind is a package below it with the platform's documented
// contract, and a simulator of the platform for tests.
package notify
