package sandbox_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/tollgate-mcp/tollgate/sandbox"
)

func ExampleNew() {
	srv := httptest.NewServer(sandbox.New(sandbox.Config{}))
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/v1/ads?search=coffee&limit=3", nil)
	req.Header.Set("Authorization", "Bearer "+sandbox.DemoKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("X-Usage-Cost"), resp.Header.Get("X-Credits-Remaining"))
	// Output: 200 3 9997
}
