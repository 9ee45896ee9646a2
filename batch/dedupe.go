package batch

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/tollgate-mcp/tollgate/tools"
)

// Identical calls of one input (the same tool, and arguments that ask
// the API the same: tools.Toolbox.CallKey) run once. The first id of
// each set of identical jobs makes the call; the others are its
// followers, written with the same result marked as theirs (sameAs names
// the id that made the call, and the metering says cost 0 and shared)
// once the run's calls are over. A resumed run finds the lines already
// there: a job identical to an id already done is written from that id's
// line before any call, so however often a run is interrupted, each set
// of identical calls is made once.

// The roles of the jobs of a run (planned.role).
const (
	roleCall     uint8 = iota // makes its call
	roleDone                  // done by an earlier run: skipped
	roleFollower              // written from its leader's line, a job of this run, once it is done
	roleFromDone              // written from the line of an id done by an earlier run
)

// planned is the plan of a run over a source: each job's role by its place
// in the source (its ordinal) and a short hash of each job's id, to check
// that the source reads the same each time (5 bytes a job), and for each
// set of identical calls, the job the others follow and its id.
type planned struct {
	n       int
	role    []uint8
	idCheck []uint32
	skipped int
	// leaders are the jobs that others follow, by call key; a follower
	// finds its leader by its own call key again when it is written.
	leaders map[callKey]leader
	box     *tools.Toolbox
}

// callKey is a Toolbox.CallKey, decoded.
type callKey [16]byte

// keyOf is the call key of j; ok is false for a job without one (an
// unknown tool).
func keyOf(box *tools.Toolbox, j *Job) (k callKey, ok bool) {
	ck, ok := box.CallKey(j.Tool, j.Args)
	if !ok || hex.DecodedLen(len(ck)) != len(k) {
		return k, false
	}
	_, err := hex.Decode(k[:], []byte(ck))
	return k, err == nil
}

// keyer computes the call keys of one reading's jobs, remembering the
// last: a job whose tool and arguments are written exactly as the one
// before it (the same bytes) makes the same call, so its arguments are
// neither decoded nor keyed again. A batch of repeated lines, the case
// the sharing of identical calls is for, then costs a few bytes a line
// to plan.
type keyer struct {
	box  *tools.Toolbox
	last lastArgs // the last job keyed, with its key
	key  callKey
	ok   bool
}

// of is keyOf(j), decoding j's arguments first when the reading left
// them encoded and they differ from the last job's.
func (k *keyer) of(j *Job) (callKey, bool, error) {
	if k.last.repeatedBy(j) {
		return k.key, k.ok, nil
	}
	last := lastArgsOf(j)
	if err := j.withArgs(); err != nil {
		return callKey{}, false, err
	}
	k.key, k.ok = keyOf(k.box, j)
	k.last = last
	return k.key, k.ok, nil
}

// leader is the job of a set of identical calls that the others follow.
type leader struct {
	ord int32
	id  json.RawMessage
}

// hasFollowers reports identical calls in the batch.
func (p *planned) hasFollowers() bool { return len(p.leaders) > 0 }

// plan reads src (checked by checkSource) and plans the run: which jobs
// make calls, which out holds already, and which follow an identical call
// (the same Toolbox.CallKey) made by this run or done by an earlier one.
// It reads src once, twice when the batch holds identical calls. n is
// how many jobs checkSource read there: what the plan keeps is sized for
// them at once rather than grown (each growth holds the old slice and the
// new one).
func plan(box *tools.Toolbox, src Source, out *Output, n int) (*planned, error) {
	p := &planned{box: box, role: make([]uint8, 0, n), idCheck: make([]uint32, 0, n)}
	keys := make([]callKey, 0, n) // the call key of each job
	keyed := make([]int32, 0, n)  // the jobs with a call key
	ks := keyer{box: box}
	for j, err := range idsAndTools(src) {
		if err != nil {
			return nil, err
		}
		ord := int32(p.n)
		p.n++
		idk, err := idKey(j.ID)
		if err != nil {
			return nil, err // checkSource refused it first
		}
		p.idCheck = append(p.idCheck, uint32(idHash(idk)))
		role := roleCall
		if out.Done(j.ID) {
			role = roleDone
			p.skipped++
		}
		p.role = append(p.role, role)
		k, ok, err := ks.of(&j)
		if err != nil {
			return nil, fmt.Errorf("batch: job %s: %w", j.ID, err)
		}
		if ok {
			keyed = append(keyed, ord)
		}
		keys = append(keys, k)
	}
	// Identical calls are the runs of equal keys once the jobs are
	// sorted by key, each run in input order.
	slices.SortStableFunc(keyed, func(a, b int32) int { return bytes.Compare(keys[a][:], keys[b][:]) })
	for i := 0; i < len(keyed); {
		k := i + 1
		for k < len(keyed) && keys[keyed[k]] == keys[keyed[i]] {
			k++
		}
		group := keyed[i:k]
		i = k
		if len(group) < 2 {
			continue
		}
		// The first done job is the one the others follow; without one,
		// the first job left makes the call for the others.
		lead, done := int32(-1), false
		for _, o := range group {
			if p.role[o] == roleDone {
				lead, done = o, true
				break
			}
		}
		followed := false
		for _, o := range group {
			switch {
			case p.role[o] == roleDone:
			case lead < 0:
				lead = o
			case done:
				p.role[o], followed = roleFromDone, true
			default:
				p.role[o], followed = roleFollower, true
			}
		}
		if followed {
			if p.leaders == nil {
				p.leaders = map[callKey]leader{}
			}
			p.leaders[keys[lead]] = leader{ord: lead}
		}
	}
	if !p.hasFollowers() {
		return p, nil
	}
	byOrd := make(map[int32]callKey, len(p.leaders))
	for k, l := range p.leaders {
		byOrd[l.ord] = k
	}
	keys, keyed = nil, nil
	ord := int32(-1)
	for j, err := range idsAndTools(src) {
		if err != nil {
			return nil, err
		}
		ord++
		if err := p.same(ord, j); err != nil {
			return nil, err
		}
		if k, ok := byOrd[ord]; ok {
			p.leaders[k] = leader{ord: ord, id: slices.Clone(j.ID)}
		}
	}
	return p, nil
}

// writeFollowers reads src and writes, from their leaders' lines, the
// jobs of role whose leader is done (by an earlier run for roleFromDone,
// by this one for roleFollower).
func (r *runner) writeFollowers(src Source, p *planned, role uint8) error {
	ord := int32(-1)
	var cache sameCache
	ks := keyer{box: p.box}
	for j, err := range idsAndTools(src) {
		if err != nil {
			return err
		}
		ord++
		if err := p.same(ord, j); err != nil {
			return err
		}
		if p.role[ord] != role {
			continue
		}
		k, ok, err := ks.of(&j)
		if err != nil {
			return fmt.Errorf("batch: job %s: %w", j.ID, err)
		}
		l, found := p.leaders[k]
		if !ok || !found {
			return errors.New("batch: the input changed while the batch ran (a job no longer makes the call it made)")
		}
		if !r.isDone(l.ord) {
			continue
		}
		if err := r.writeSame(&cache, member{ord: ord, id: j.ID, tool: j.Tool}, l.id); err != nil {
			return err
		}
	}
	return nil
}

// member is a job written from another's line: only what its line needs.
type member struct {
	ord  int32
	id   json.RawMessage
	tool string
}

// sameCache is the follower line of the last leader written from.
type sameCache struct {
	leader json.RawMessage
	line   *Record
}

// writeSame writes job's line from the line of leader, which is done.
func (r *runner) writeSame(cache *sameCache, job member, leader json.RawMessage) error {
	if cache.line == nil || !bytes.Equal(cache.leader, leader) {
		rec, err := r.out.Record(leader)
		if err != nil {
			return err
		}
		if rec == nil {
			return fmt.Errorf("batch: the line of %s is missing", leader)
		}
		if rec.OK {
			rec.Result = sharedResult(rec.Result, leader)
		}
		rec.SameAs = leader
		cache.leader, cache.line = leader, rec
	}
	line := *cache.line
	line.ID, line.Tool = job.id, job.tool
	if err := r.out.Write(&line); err != nil {
		return err
	}
	r.doneAt(job.ord)
	r.done++
	r.deduped++
	if !line.OK {
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
