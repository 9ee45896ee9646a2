package redisstore_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them. It
// silences go-redis's own log of dial failures, which the fault tests
// cause on purpose.
func TestMain(m *testing.M) {
	redis.SetLogger(quiet{})
	goleak.VerifyTestMain(m)
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}
