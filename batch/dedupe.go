package batch

import (
	"encoding/json"
	"fmt"

	"github.com/tollgate-mcp/tollgate/tools"
)

// Identical calls of one input (the same tool, and arguments that ask
// the API the same: tools.Toolbox.CallKey) run once. The first id of
// each set of identical jobs makes the call; the others are its
// followers, written as soon as it is done, with the same result marked
// as theirs (sameAs names the id that made the call, and the metering
// says cost 0 and shared). A resumed run finds the lines already there:
// a job identical to an id already done is written from that id's line
// without a call, so however often a run is interrupted, each set of
// identical calls is made once.

// dedupe is the plan of a run: which jobs make calls and which follow.
type dedupe struct {
	keyOf     map[string]string // id key -> call key
	followers map[string][]Job  // id key of a leader -> its followers
}

// plan splits the jobs out does not hold yet into those that make calls
// (in input order) and followers, and returns the jobs that follow an id
// already done (written by the caller before any call).
func plan(box *tools.Toolbox, jobs []Job, out *Output) (queue []Job, d *dedupe, fromDone []sameAs, skipped int) {
	d = &dedupe{keyOf: map[string]string{}, followers: map[string][]Job{}}
	doneBy := map[string]json.RawMessage{} // call key -> id of a done job
	for _, j := range jobs {
		idk, err := idKey(j.ID)
		if err != nil {
			continue
		}
		if ck, ok := box.CallKey(j.Tool, j.Args); ok {
			d.keyOf[idk] = ck
			if out.Done(j.ID) {
				if _, seen := doneBy[ck]; !seen {
					doneBy[ck] = j.ID
				}
			}
		}
	}
	leaders := map[string]string{} // call key -> id key of the leader
	for _, j := range jobs {
		if out.Done(j.ID) {
			skipped++
			continue
		}
		idk, _ := idKey(j.ID)
		ck, ok := d.keyOf[idk]
		switch {
		case !ok:
			queue = append(queue, j)
		case doneBy[ck] != nil:
			fromDone = append(fromDone, sameAs{job: j, leader: doneBy[ck]})
		case leaders[ck] != "":
			d.followers[leaders[ck]] = append(d.followers[leaders[ck]], j)
		default:
			leaders[ck] = idk
			queue = append(queue, j)
		}
	}
	return queue, d, fromDone, skipped
}

// sameAs is a job to be written from the line of another id.
type sameAs struct {
	job    Job
	leader json.RawMessage
}

// take returns (and forgets) the followers of a leader that is done.
func (d *dedupe) take(leader json.RawMessage) []Job {
	idk, err := idKey(leader)
	if err != nil {
		return nil
	}
	f := d.followers[idk]
	delete(d.followers, idk)
	return f
}

// writeSame writes job's line from the line of leader, which is done.
func (r *runner) writeSame(job Job, leader json.RawMessage) error {
	rec, err := r.out.Record(leader)
	if err != nil {
		return err
	}
	if rec == nil {
		return fmt.Errorf("batch: the line of %s is missing", leader)
	}
	line := *rec
	line.ID, line.Tool, line.SameAs = job.ID, job.Tool, leader
	if rec.OK {
		line.Result = sharedResult(rec.Result, leader)
	}
	if err := r.out.Write(&line); err != nil {
		return err
	}
	r.done++
	r.deduped++
	if !rec.OK {
		r.failed++
	}
	return nil
}

// sharedResult is a result as the follower of leader shows it: the same
// data, its metering saying it cost nothing (it was charged to leader).
func sharedResult(result json.RawMessage, leader json.RawMessage) json.RawMessage {
	var s map[string]json.RawMessage
	if json.Unmarshal(result, &s) != nil {
		return result
	}
	var m map[string]any
	if raw, ok := s["metering"]; ok && json.Unmarshal(raw, &m) == nil {
		m["cost"], m["shared"] = 0, true
		s["metering"], _ = json.Marshal(m)
	}
	var notes []string
	_ = json.Unmarshal(s["notes"], &notes)
	notes = append(notes, fmt.Sprintf("The same call as id %s of this batch, which made it; charged once, to that id.", leader))
	s["notes"], _ = json.Marshal(notes)
	out, err := json.Marshal(s)
	if err != nil {
		return result
	}
	return out
}
