package batch

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
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
// in the source (its ordinal), a short hash of each job's id to check that
// the source reads the same each time, and which job each follower
// follows. It holds 5 bytes a job, 8 more a follower, and the id of each
// leader.
type planned struct {
	n       int
	role    []uint8
	idCheck []uint32
	skipped int
	// follows pairs each job written from another's line with that
	// other (its leader), in input order.
	follows []follow
	// leaderIDs are the ids of the leaders of follows.
	leaderIDs map[int32]json.RawMessage
}

// follow is a job written from the line of the job at leader.
type follow struct {
	ord, leader int32
}

// plan reads src (checked by checkSource) and plans the run: which jobs
// make calls, which out holds already, and which follow an identical call
// (the same Toolbox.CallKey) made by this run or done by an earlier one.
// It reads src once, twice when the batch holds identical calls.
func plan(box *tools.Toolbox, src Source, out *Output) (*planned, error) {
	p := &planned{}
	var keys [][16]byte // the call key of each job
	var keyed []int32   // the jobs with a call key
	for j, err := range src.All() {
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
		var k [16]byte
		if ck, ok := box.CallKey(j.Tool, j.Args); ok && hex.DecodedLen(len(ck)) == len(k) {
			if _, err := hex.Decode(k[:], []byte(ck)); err == nil {
				keyed = append(keyed, ord)
			}
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
		leader, done := int32(-1), false
		for _, o := range group {
			if p.role[o] == roleDone {
				leader, done = o, true
				break
			}
		}
		for _, o := range group {
			switch {
			case p.role[o] == roleDone:
			case leader < 0:
				leader = o
			case done:
				p.role[o] = roleFromDone
				p.follows = append(p.follows, follow{o, leader})
			default:
				p.role[o] = roleFollower
				p.follows = append(p.follows, follow{o, leader})
			}
		}
	}
	if len(p.follows) == 0 {
		return p, nil
	}
	slices.SortFunc(p.follows, func(a, b follow) int { return int(a.ord - b.ord) })
	p.leaderIDs = map[int32]json.RawMessage{}
	for _, f := range p.follows {
		p.leaderIDs[f.leader] = nil
	}
	ord := int32(-1)
	for j, err := range src.All() {
		if err != nil {
			return nil, err
		}
		ord++
		if err := p.same(ord, j); err != nil {
			return nil, err
		}
		if _, ok := p.leaderIDs[ord]; ok {
			p.leaderIDs[ord] = slices.Clone(j.ID)
		}
	}
	return p, nil
}

// writeFollowers reads src and writes, from their leaders' lines, the
// jobs of role whose leader is done (by an earlier run for roleFromDone,
// by this one for roleFollower).
func (r *runner) writeFollowers(src Source, p *planned, role uint8) error {
	next := 0 // the next of p.follows
	ord := int32(-1)
	var cache sameCache
	for j, err := range src.All() {
		if err != nil {
			return err
		}
		ord++
		if err := p.same(ord, j); err != nil {
			return err
		}
		for next < len(p.follows) && p.follows[next].ord < ord {
			next++
		}
		if next == len(p.follows) {
			return nil
		}
		f := p.follows[next]
		if f.ord != ord || p.role[ord] != role || !r.isDone(f.leader) {
			continue
		}
		if err := r.writeSame(&cache, member{ord: ord, id: j.ID, tool: j.Tool}, p.leaderIDs[f.leader]); err != nil {
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
