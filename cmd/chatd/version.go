package main

import (
	"runtime/debug"
	"strings"
)

// version describes this binary from the VCS information the go command
// stamps into it (`go build` inside the repository): the commit, its time
// and whether the tree had uncommitted changes. Binaries built without it
// (`go run`, `go test`, -buildvcs=false) say so instead of guessing.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	return formatVersion(info)
}

func formatVersion(info *debug.BuildInfo) string {
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	rev := settings["vcs.revision"]
	if rev == "" {
		return "unknown (built without VCS information) " + info.GoVersion
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	parts := []string{rev}
	if settings["vcs.modified"] == "true" {
		parts[0] += "-modified"
	}
	if t := settings["vcs.time"]; t != "" {
		parts = append(parts, t)
	}
	return strings.Join(append(parts, info.GoVersion), " ")
}
