package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/chatd/chat/infrastructure/config"
)

// secretsFile keeps the secrets embedded mode generated, so tokens minted
// before a restart of `make run` stay valid, as the data does.
const secretsFile = "secrets.env"

// embeddedGetenv wraps getenv so that, in embedded mode, secrets saved by
// an earlier run fill in the ones the environment leaves unset.
func embeddedGetenv(getenv func(string) string) func(string) string {
	if getenv("DATABASE_URL") != "" {
		return getenv
	}
	dir := getenv("CHAT_DATA_DIR")
	if dir == "" {
		dir = ".data"
	}
	saved := readSecrets(filepath.Join(dir, secretsFile))
	return func(key string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return saved[key]
	}
}

func readSecrets(path string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return out // first run: nothing saved yet
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && (k == "CHAT_ADMIN_TOKEN" || k == "CHAT_JWT_SECRET") {
			out[k] = v
		}
	}
	return out
}

// saveGeneratedSecrets writes the secrets this run generated, readable by
// the owner only.
func saveGeneratedSecrets(cfg config.Config) error {
	if len(cfg.Generated) == 0 {
		return nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", cfg.DataDir, err)
	}
	path := filepath.Join(cfg.DataDir, secretsFile)
	saved := readSecrets(path)
	saved["CHAT_ADMIN_TOKEN"], saved["CHAT_JWT_SECRET"] = cfg.AdminToken, cfg.JWTSecret
	body := fmt.Sprintf("CHAT_ADMIN_TOKEN=%s\nCHAT_JWT_SECRET=%s\n", saved["CHAT_ADMIN_TOKEN"], saved["CHAT_JWT_SECRET"])
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		return fmt.Errorf("save generated secrets: %w", err)
	}
	return nil
}
