// Package sim is a WeCom group robot for tests: it checks the key, the
// markdown payload and its 4096-byte cap, enforces 20 messages a minute
// per robot and answers with the documented errcodes in HTTP 200 answers.
package sim
