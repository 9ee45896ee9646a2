package sandbox

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Running is a simulator served on a real listener by [Start].
type Running struct {
	*Server
	// URL is the base URL to give a client, e.g. http://127.0.0.1:8787.
	URL string
	hs  *http.Server
	ln  net.Listener
	err chan error
}

// Start serves a new simulator on addr ("127.0.0.1:0" picks a free port)
// until Close. It is how tollgate's CLI embeds the sandbox; tests may use
// it or httptest.NewServer(sandbox.New(cfg)).
func Start(addr string, cfg Config) (*Running, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := New(cfg)
	r := &Running{
		Server: srv,
		URL:    "http://" + ln.Addr().String(),
		hs:     &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second},
		ln:     ln,
		err:    make(chan error, 1),
	}
	go func() { r.err <- r.hs.Serve(ln) }()
	return r, nil
}

// Close stops the server: requests in progress get a second to finish,
// then every connection still open is closed (including keep-alive
// connections a client dialled but never used, which a graceful
// shutdown would otherwise wait five seconds for).
func (r *Running) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var err error
	if serr := r.hs.Shutdown(ctx); serr != nil {
		err = r.hs.Close()
	}
	if serr := <-r.err; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
