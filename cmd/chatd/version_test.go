package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFormatVersion(t *testing.T) {
	info := &debug.BuildInfo{GoVersion: "go1.26.0", Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-12-06T21:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	if got, want := formatVersion(info), "0123456789ab-modified 2026-12-06T21:00:00Z go1.26.0"; got != want {
		t.Errorf("formatVersion = %q, want %q", got, want)
	}
	info.Settings[3].Value = "false"
	if got, want := formatVersion(info), "0123456789ab 2026-12-06T21:00:00Z go1.26.0"; got != want {
		t.Errorf("formatVersion = %q, want %q", got, want)
	}
	if got := formatVersion(&debug.BuildInfo{GoVersion: "go1.26.0"}); !strings.HasPrefix(got, "unknown") {
		t.Errorf("formatVersion without VCS = %q", got)
	}
}

// TestVersionFlag builds chatd in the repository and checks that
// `chatd -version` names the checked-out commit.
func TestVersionFlag(t *testing.T) {
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err != nil || !fi.IsDir() {
		// In a `git worktree` .git is a file, and the go command stamps
		// no VCS information there.
		t.Skip("a git worktree: go build stamps no VCS information")
	}
	out, err := exec.Command(buildChatd(t), "-version").CombinedOutput()
	if err != nil {
		t.Fatalf("chatd -version: %v\n%s", err, out)
	}
	if want := "chatd " + string(head[:12]); !strings.HasPrefix(string(out), want) {
		t.Fatalf("chatd -version = %q, want it to start with %q", out, want)
	}
}
