package host

import (
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk/model"
)

func fetchError(t *testing.T, p *Plugin, id string) *model.Error {
	t.Helper()
	_, err := p.Invoke(context.Background(), &model.FetchProductsRequest{Ids: []string{id}})
	e, ok := model.AsError(err)
	if !ok {
		t.Fatalf("fetch %q: %v, want a *model.Error", id, err)
	}
	return e
}

func TestPluginGetsOnlyTheAllowedEnvironment(t *testing.T) {
	t.Setenv("MARKETSYNC_TOKEN", "agent-api-token")
	t.Setenv("TAOBAO_SESSION", "another-platforms-session")
	t.Setenv("HTTPS_PROXY", "http://proxy.internal:3128")
	t.Setenv("LC_TIME", "C.UTF-8")
	t.Setenv("TZ", "Asia/Shanghai")
	for name, tc := range map[string]struct {
		pass      []string
		want, not []string
	}{
		"default": {
			want: []string{"PATH=", "LC_TIME=C.UTF-8", "TZ=Asia/Shanghai"},
			not:  []string{"MARKETSYNC_TOKEN", "TAOBAO_SESSION", "HTTPS_PROXY"},
		},
		"proxy passed": {
			pass: []string{"HTTPS_PROXY", "NO_PROXY"},
			want: []string{"HTTPS_PROXY=http://proxy.internal:3128"},
			not:  []string{"MARKETSYNC_TOKEN", "TAOBAO_SESSION", "NO_PROXY"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			p := mustLaunchHelper(t, Options{PassEnv: tc.pass})
			env := strings.Split(fetchError(t, p, "env").GetMessage(), "\n")
			for _, w := range tc.want {
				if !hasVar(env, w) {
					t.Errorf("plugin environment lacks %s: %q", w, env)
				}
			}
			for _, n := range tc.not {
				if hasVar(env, n+"=") {
					t.Errorf("plugin environment has %s: %q", n, env)
				}
			}
		})
	}
}

func hasVar(env []string, prefix string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, prefix) {
			return true
		}
	}
	return false
}

func TestSensitiveValuesAreRedactedFromErrors(t *testing.T) {
	const session = "6102a21f+secret/session=="
	p := mustLaunchHelper(t, Options{})
	if err := p.Configure(context.Background(), configJSON(session)); err != nil {
		t.Fatal(err)
	}
	e := fetchError(t, p, "echo")
	if strings.Contains(e.Error(), "6102a21f") || !strings.Contains(e.GetMessage(), "session="+Redacted) {
		t.Errorf("whole-call error: %q", e.GetMessage())
	}
	resp, err := Call[*model.FetchProductsResponse](context.Background(), p, &model.FetchProductsRequest{Ids: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp.GetResults() {
		if got := r.GetError(); got.GetCode() != Redacted || got.GetMessage() != "bad item, session="+Redacted {
			t.Errorf("item %s: %v", r.GetId(), got)
		}
	}
	err = p.Configure(context.Background(), []byte(`{"session":"`+session+`","app_key":"refuse"}`))
	if err == nil || strings.Contains(err.Error(), session) || !strings.Contains(err.Error(), Redacted) {
		t.Errorf("Configure's error: %v", err)
	}
}

// TestSensitiveValuesAreRedactedFromLogs has the plugin log its secret on
// standard error, as hclog JSON, and waits for the relayed line.
func TestSensitiveValuesAreRedactedFromLogs(t *testing.T) {
	const session = "6102a21fsecret"
	lines := make(chan string, 100)
	h := &captureHandler{lines: new([]string), ch: lines}
	p := mustLaunchHelper(t, Options{Logger: slog.New(h)})
	if err := p.Configure(context.Background(), configJSON(session)); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line := <-lines:
			if !strings.Contains(line, "configured") {
				continue
			}
			if strings.Contains(line, session) || !strings.Contains(line, "configured with session "+Redacted) || !strings.Contains(line, "session="+Redacted) {
				t.Errorf("relayed line: %q", line)
			}
			return
		case <-timeout:
			t.Fatal("the plugin's log line never arrived")
		}
	}
}

func TestRedactorSkipsShortValuesAndCatchesEncodings(t *testing.T) {
	spec := (&helperPlugin{}).Describe().Config
	var r redactor
	if short := r.set(spec, []byte(`{"session":"abc","app_key":"12345"}`)); len(short) != 1 || short[0] != "session" {
		t.Errorf("short values reported for %v, want [session]", short)
	}
	if got := r.text("code abc, app 12345"); got != "code abc, app 12345" {
		t.Errorf("a short or non-sensitive value was redacted: %q", got)
	}
	r.set(spec, []byte(`{"session":"a b/c+d\"e"}`))
	for _, s := range []string{`a b/c+d"e`, `a+b%2Fc%2Bd%22e`, `a%20b%2Fc+d%22e`, `a b/c+d\"e`} {
		if got := r.text("x=" + s); got != "x="+Redacted {
			t.Errorf("%q redacted as %q", s, got)
		}
	}
}

func TestKillEndsTheProcessesAPluginStarted(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no process groups")
	}
	p := mustLaunchHelper(t, Options{})
	pid, err := strconv.Atoi(fetchError(t, p, "spawn").GetMessage())
	if err != nil {
		t.Fatal(err)
	}
	if !alive(pid) {
		t.Fatalf("child %d not running", pid)
	}
	killed := make(chan struct{})
	go func() { p.Kill(); close(killed) }()
	select {
	case <-killed:
	case <-time.After(20 * time.Second):
		t.Fatal("Kill waits for the plugin's child, which holds its output")
	}
	// Kill returned after signalling the plugin's whole group; the kernel
	// takes the child down asynchronously, so allow it a moment (the
	// bound fails the test, it is not a wait for an event that a channel
	// could report: /proc is the only witness).
	if !gone(pid, 5*time.Second) {
		t.Errorf("child %d survived its plugin", pid)
	}
}

// gone reports whether pid stops running (or becomes a zombie) within d.
func gone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for alive(pid) {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}

// TestKillIsBoundedByAChildThatLeftTheGroup: a child in a session of its
// own escapes the group kill, but not WaitDelay: Kill stops waiting for the
// output it holds.
func TestKillIsBoundedByAChildThatLeftTheGroup(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no process groups")
	}
	p := mustLaunchHelper(t, Options{})
	pid, err := strconv.Atoi(fetchError(t, p, "detach").GetMessage())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = killGroup(pid) })
	killed := make(chan struct{})
	go func() { p.Kill(); close(killed) }()
	select {
	case <-killed:
	case <-time.After(20 * time.Second):
		t.Fatal("Kill waits for a detached child that holds the plugin's output")
	}
	if !p.Exited() {
		t.Error("the plugin is not reported exited")
	}
}

// alive reports whether pid runs (and is not a zombie).
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, after, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(after, "Z") && !strings.HasPrefix(after, "X")
}

func TestPinIsCheckedAndReported(t *testing.T) {
	exe, _ := os.Executable()
	bin, err := openBinary(exe, nil)
	if err != nil {
		t.Fatal(err)
	}
	bin.file.Close()
	wrong := make([]byte, 32)
	_, err = launchHelper(t, Options{SHA256: wrong})
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "expected "+hex.EncodeToString(wrong)) ||
		!strings.Contains(err.Error(), "actual "+hex.EncodeToString(bin.sum)) {
		t.Errorf("wrong pin: %v", err)
	}
	if _, err := launchHelper(t, Options{SHA256: bin.sum}); err != nil {
		t.Errorf("right pin: %v", err)
	}
	lines := make(chan string, 100)
	p := mustLaunchHelper(t, Options{Logger: slog.New(&captureHandler{lines: new([]string), ch: lines})})
	if !strings.Contains(<-lines, "not pinned") || hex.EncodeToString(p.SHA256()) != hex.EncodeToString(bin.sum) {
		t.Errorf("an unpinned launch is not the first thing logged, or SHA256 is %x", p.SHA256())
	}
}

func TestBinaryOthersCanReplaceIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no unix permissions")
	}
	for name, tc := range map[string]struct {
		dirMode, fileMode os.FileMode
		want              string
	}{
		"world-writable binary":    {0o755, 0o757, "world-writable"},
		"world-writable directory": {0o777, 0o755, "world-writable"},
		"private":                  {0o700, 0o700, ""},
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "plugins")
			path := writePlugin(t, dir, "#!/bin/sh\n", tc.fileMode)
			if err := os.Chmod(dir, tc.dirMode); err != nil {
				t.Fatal(err)
			}
			bin, err := openBinary(path, nil)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				bin.file.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
	if os.Getuid() != 0 {
		t.Log("not root: the group and owner cases are not checked")
		return
	}
	for name, chown := range map[string][2]int{
		"group-writable by another group": {0, 4242},
		"owned by another user":           {4242, 0},
	} {
		t.Run(name, func(t *testing.T) {
			path := writePlugin(t, t.TempDir(), "#!/bin/sh\n", 0o775)
			if err := os.Chown(path, chown[0], chown[1]); err != nil {
				t.Fatal(err)
			}
			if _, err := openBinary(path, nil); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func writePlugin(t *testing.T, dir, text string, mode os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "marketsync-plugin-x")
	if err := os.WriteFile(path, []byte(text), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTheHashedFileIsTheOneRun replaces the binary by rename after it was
// opened and hashed, as an attacker racing the launch would: what runs is
// still the file that was hashed.
func TestTheHashedFileIsTheOneRun(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("descriptor execution is Linux's")
	}
	dir := t.TempDir()
	path := writePlugin(t, dir, "#!/bin/sh\necho original\n", 0o700)
	bin, err := openBinary(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bin.file.Close()
	swapped := filepath.Join(dir, "swapped")
	if err := os.WriteFile(swapped, []byte("#!/bin/sh\necho swapped\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(swapped, path); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path)
	execThrough(cmd, bin.file)
	out, err := cmd.Output()
	if err != nil || string(out) != "original\n" {
		t.Errorf("ran %q (%v), want the file that was hashed", out, err)
	}
}
