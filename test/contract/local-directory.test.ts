// The directory conformance suite against LocalDirectory: one node, whose
// presence is the whole truth. Cases that need a second node, or a node that
// dies, do not apply (the factory says so).

import { Presence } from '../../src/server/presence.js';
import { LocalDirectory } from '../../src/server/directory/local-directory.js';
import type { Session } from '../../src/server/session.js';
import { describeDirectoryConformance, makeSession } from './directory.conformance.js';

describeDirectoryConformance('LocalDirectory', {
  maxNodes: 1,
  nodesDie: false,
  reapWithinMs: 0,
  clusterStats: false,
  make: async () => {
    const presence = new Presence<Session>();
    const directory = new LocalDirectory(presence, 'solo');
    return {
      nodes: [{ nodeId: 'solo', presence, directory, session: () => makeSession() }],
      settle: async () => {},
      kill: async () => {
        throw new Error('a single node does not die in this suite');
      },
      cleanup: () => directory.close(),
    };
  },
});
