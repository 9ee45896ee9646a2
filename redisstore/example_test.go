package redisstore_test

import (
	"context"
	"fmt"
	"os"

	"github.com/tollgate-mcp/tollgate"
	"github.com/tollgate-mcp/tollgate/redisstore"
)

// Every process that opens the budget "nightly-batch" on the same Redis
// shares its 5000 credits.
func ExampleOpenBudget() {
	store, err := redisstore.OpenBudget("redis://localhost:6379/0", "nightly-batch", redisstore.BudgetOptions{})
	if err != nil {
		fmt.Println(err) // a bad URL or name; a Redis that is down is no error
		return
	}
	defer func() {
		if err := store.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err) // e.g. charges that could not be written
		}
	}()
	kit, err := tollgate.New(context.Background(), tollgate.Config{
		APIKey:     os.Getenv("TRENDTRACK_API_KEY"),
		MaxCredits: 5000, // the cap of the whole group
		Store:      store,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = kit.Tools
}
