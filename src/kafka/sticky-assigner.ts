import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

const { MemberMetadata, MemberAssignment } = AssignerProtocol;

/** Partitions per topic. */
export type TopicPartitions = Record<string, number[]>;

/**
 * Balanced and sticky: every member gets floor(P/N) or ceil(P/N) partitions of each topic, and keeps as many of
 * the partitions it owned before the rebalance as that allows. Each moved partition costs its new owner a
 * re-read of the window (docs/streaming.md), so a join or a leave moves only what balance needs, where
 * kafkajs' round-robin reshuffles nearly everything. Pure, for tests.
 */
export function stickyAssign(partitions: TopicPartitions, members: Array<{ memberId: string; owned: TopicPartitions }>): Record<string, TopicPartitions> {
  const ids = members.map((m) => m.memberId).sort();
  const out: Record<string, TopicPartitions> = {};
  for (const id of ids) out[id] = {};
  if (ids.length === 0) return out;
  for (const [topic, list] of Object.entries(partitions)) {
    const all = [...list].sort((a, b) => a - b);
    const exists = new Set(all);
    const claimed = new Map<number, string>();
    const owned = new Map<string, number[]>();
    for (const id of ids) {
      const mine = (members.find((m) => m.memberId === id)?.owned[topic] ?? []).filter((p) => exists.has(p) && !claimed.has(p));
      for (const p of mine) claimed.set(p, id);
      owned.set(id, mine);
    }
    // Quotas: floor for everyone, one extra for the members that own the most (they keep more).
    const base = Math.floor(all.length / ids.length);
    let extra = all.length % ids.length;
    const quota = new Map<string, number>(ids.map((id) => [id, base]));
    for (const id of [...ids].sort((a, b) => owned.get(b)!.length - owned.get(a)!.length || (a < b ? -1 : 1))) {
      if (extra === 0) break;
      quota.set(id, base + 1);
      extra--;
    }
    const taken = new Set<number>();
    for (const id of ids) {
      const keep = owned.get(id)!.slice(0, quota.get(id));
      out[id][topic] = keep;
      for (const p of keep) taken.add(p);
    }
    const free = all.filter((p) => !taken.has(p));
    for (const id of ids) {
      const mine = out[id][topic];
      while (mine.length < quota.get(id)! && free.length > 0) mine.push(free.shift()!);
      mine.sort((a, b) => a - b);
    }
  }
  return out;
}

/**
 * kafkajs assigner around stickyAssign. Each member announces what it owns in its join metadata (userData);
 * the group leader assigns. List it before kafkajs' round-robin so a group with older members still agrees.
 */
export function stickyAssigner(owned: () => TopicPartitions): PartitionAssigner {
  return ({ cluster }) => ({
    name: 'ClonewatchStickyAssigner',
    version: 1,
    async assign({ members, topics }) {
      const partitions: TopicPartitions = {};
      for (const t of topics) partitions[t] = cluster.findTopicPartitionMetadata(t).map((m) => m.partitionId);
      const decoded = members.map((m) => {
        let own: TopicPartitions = {};
        try {
          const meta = MemberMetadata.decode(m.memberMetadata);
          if (meta?.userData && meta.userData.length) own = JSON.parse(meta.userData.toString('utf8')) as TopicPartitions;
        } catch {
          own = {};
        }
        return { memberId: m.memberId, owned: own };
      });
      const result = stickyAssign(partitions, decoded);
      return Object.entries(result).map(([memberId, assignment]) => ({
        memberId,
        memberAssignment: MemberAssignment.encode({ version: 1, assignment, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }) {
      return {
        name: 'ClonewatchStickyAssigner',
        metadata: MemberMetadata.encode({ version: 1, topics, userData: Buffer.from(JSON.stringify(owned())) }),
      };
    },
  });
}
