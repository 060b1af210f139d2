package command

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/daemon/client"
)

// EventsCommand shows the event sinks' backlogs.
type EventsCommand struct {
	Meta
}

func (c *EventsCommand) Synopsis() string { return "Show the event sinks and what waits for them" }

func (c *EventsCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync events [options]

  Shows each event_sink: the events waiting for it in the outbox, the age
  of the oldest, and, for a sink that fails, how many deliveries failed in
  a row, when it is tried next and why the last one failed. Events wait
  until the sink answers 2xx; none is dropped. A queue whose event_sink
  was removed from the configuration is listed as "removed": its events
  are delivered if a sink of that name comes back.

` + generalOptions())
}

func (c *EventsCommand) Run(args []string) int {
	f := c.FlagSet("events", true)
	_, cl, err := c.connect(f, args, noArgs("events"))
	if err != nil {
		return c.exit(err)
	}
	sinks, err := cl.EventSinks(context.Background())
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(sinks)
	}
	if len(sinks) == 0 {
		c.Ui.Output("No event sinks: add an event_sink block to the configuration.")
		return 0
	}
	rows := [][]string{{"SINK", "URL", "EVENTS", "PENDING", "OLDEST", "FAILURES", "NEXT ATTEMPT", "LAST ERROR"}}
	for _, s := range sinks {
		rows = append(rows, sinkCells(s, time.Now()))
	}
	c.Ui.Output(table(rows))
	return 0
}

func sinkCells(s client.EventSink, now time.Time) []string {
	events := strings.Join(s.Events, ",")
	if events == "" {
		events = "all"
	}
	url := s.URL
	if !s.Configured {
		url, events = "(removed)", ""
	}
	oldest, next := "", ""
	if s.Oldest != nil {
		oldest = now.Sub(*s.Oldest).Round(time.Second).String() + " ago"
	}
	if s.NextAttempt != nil {
		next = clock(*s.NextAttempt)
	}
	failures := ""
	if s.Failures > 0 {
		failures = strconv.Itoa(s.Failures)
	}
	return []string{s.Name, url, events, fmt.Sprint(s.Pending), oldest, failures, next, s.LastError}
}
