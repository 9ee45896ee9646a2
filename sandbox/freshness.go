package sandbox

import "time"

// DataReadyHour is the UTC hour at which the snapshot of a day becomes
// ready: the data of day D is served from D+1 at DataReadyHour:00 UTC.
const DataReadyHour = 6

// LatestReadyDate returns the latest snapshot date whose data is ready at
// now (midnight UTC of that day). Every answer of the sandbox at now
// reflects that day: GET /v1/system/freshness reports it as
// latestReadyDate, and the data set's dates end with it.
func LatestReadyDate(now time.Time) time.Time {
	t := now.UTC().Add(-DataReadyHour * time.Hour).Truncate(24 * time.Hour)
	return t.AddDate(0, 0, -1)
}

// NextDataRefresh returns the first instant after now at which
// LatestReadyDate changes (and with it every answer).
func NextDataRefresh(now time.Time) time.Time {
	return LatestReadyDate(now).AddDate(0, 0, 2).Add(DataReadyHour * time.Hour)
}
