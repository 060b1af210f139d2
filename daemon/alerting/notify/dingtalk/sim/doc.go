// Package sim is a DingTalk custom robot for tests: it checks the
// signature and the timestamp as the robot does, enforces the documented
// 20 messages a minute (and the 10-minute limit that follows), answers
// with the documented errcodes in HTTP 200 answers, and records every
// message it accepted.
package sim
