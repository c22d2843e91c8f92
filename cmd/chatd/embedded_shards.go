package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/chatd/chat/infrastructure/pgembed"
)

// embeddedShards creates n shard databases in the local cluster and
// returns them as CHAT_SHARD_URLS. One shard is the directory alone, as
// without embedded mode: no extra database, no URLs. The databases are
// created on every start (a restart finds them); only the first start's
// list becomes the shard map, which the directory then keeps.
func embeddedShards(ctx context.Context, cluster *pgembed.Cluster, n int) (string, error) {
	if n <= 1 {
		return "", nil
	}
	pairs := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		url, err := cluster.Database(ctx, fmt.Sprintf("chat_shard_%d", i))
		if err != nil {
			return "", err
		}
		pairs = append(pairs, fmt.Sprintf("s%d=%s", i, url))
	}
	return strings.Join(pairs, ","), nil
}
