// Package sim is a Feishu custom bot for tests: it checks the signature
// and the timestamp in the body, the 20 KB body cap and the documented 100
// messages a minute and 5 a second, and answers with the documented codes.
package sim
