import { OptionValueError, flagName, optionKit, parseNonEmpty, parseNumber, type FlagSpec, type ValueKind } from '../cli/option-kit.js';

// chat-bench's options: one table drives the defaults, commander's flags and
// `--help` (and the flag list in docs/BENCHMARKS.md), through src/cli/option-kit.ts.

export const SCENARIO_NAMES = ['fanout', 'steady', 'idle', 'storm', 'trickle', 'private', 'rooms', 'irc-fanout', 'irc-idle', 'ws-fanout', 'ws-idle', 'cluster', 'growth'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];
/** The scenarios with IRC clients: the bench starts its server with --irc-port for them. */
export const IRC_SCENARIOS: readonly ScenarioName[] = ['irc-fanout', 'irc-idle'];
/** The scenarios with WebSocket clients: the bench starts its server with --web-port for them. */
export const WS_SCENARIOS: readonly ScenarioName[] = ['ws-fanout', 'ws-idle'];
/**
 * What runs without --scenario: cluster needs redis-server, growth builds
 * rooms of up to 10,000 one after the other, and the IRC and WebSocket
 * scenarios add a listener to the server; they run only when named.
 */
export const DEFAULT_SCENARIOS: readonly ScenarioName[] = ['fanout', 'steady', 'idle', 'storm', 'trickle', 'private', 'rooms'];

export interface BenchOptions {
  target: string | undefined;
  scenario: ScenarioName[];
  quick: boolean;
  json: boolean;
  markdown: boolean;
  jsonOut: string | undefined;
  baseline: boolean;
  /** Worker threads; 0 = one per core the generator has (1 when pinned, up to 2 otherwise). */
  workers: number;
  duration: number;
  warmup: number;
  window: number;
  smallWindow: number;
  rounds: number;
  senders: number;
  fanout: number[];
  steadyReceivers: number;
  steadyRate: number | undefined;
  idle: number[];
  ircFanout: number[];
  ircIdle: number[];
  wsFanout: number[];
  wsIdle: number[];
  storm: number;
  trickle: number;
  trickleInFlight: number;
  pairs: number;
  rooms: number;
  roomSize: number;
  track: number;
  messageBytes: number;
  clusterReceivers: number;
  clusterRate: number | undefined;
  growth: number[];
  growthRate: number;
  growthLogins: number;
  clusterAof: boolean;
  redisServer: string;
  server: string | undefined;
  serverArg: string[];
  serverNodeArg: string[];
  pin: boolean;
}

export const DEFAULT_DURATION_S = 3;
export const DEFAULT_WARMUP_S = 0.3;
export const DEFAULT_ROUNDS = 3;
export const DEFAULT_WINDOW = 64;
export const DEFAULT_SMALL_WINDOW = 16;
export const DEFAULT_SENDERS = 10;
export const DEFAULT_FANOUT = [10, 100, 1000];
export const DEFAULT_STEADY_RECEIVERS = 100;
export const DEFAULT_IDLE = [1000, 10_000];
export const DEFAULT_IRC_FANOUT = [100, 1000];
export const DEFAULT_IRC_IDLE = [10_000];
export const DEFAULT_WS_FANOUT = [100, 1000];
export const DEFAULT_WS_IDLE = [10_000];
export const DEFAULT_STORM = 1000;
export const DEFAULT_TRICKLE = 10_000;
export const DEFAULT_TRICKLE_IN_FLIGHT = 64;
export const DEFAULT_PAIRS = 500;
export const DEFAULT_ROOMS = 100;
export const DEFAULT_ROOM_SIZE = 10;
export const DEFAULT_TRACK = 20;
export const DEFAULT_CLUSTER_RECEIVERS = 100;
export const DEFAULT_GROWTH = [10, 100, 1000, 10_000];
export const DEFAULT_GROWTH_RATE = 200;
export const DEFAULT_GROWTH_LOGINS = 200;

/** What --quick changes: a smoke run of a few seconds per scenario family. */
export const QUICK: Partial<BenchOptions> = {
  duration: 0.5,
  warmup: 0.2,
  rounds: 1,
  fanout: [10, 100],
  steadyReceivers: 50,
  idle: [500],
  ircFanout: [100],
  ircIdle: [500],
  wsFanout: [100],
  wsIdle: [500],
  storm: 200,
  trickle: 500,
  pairs: 50,
  rooms: 20,
  roomSize: 5,
  clusterReceivers: 50,
  growth: [10, 100],
  growthLogins: 50,
};

export function defaultBenchOptions(): BenchOptions {
  return {
    target: undefined,
    scenario: [...DEFAULT_SCENARIOS],
    quick: false,
    json: false,
    markdown: false,
    jsonOut: undefined,
    baseline: true,
    workers: 0,
    duration: DEFAULT_DURATION_S,
    warmup: DEFAULT_WARMUP_S,
    window: DEFAULT_WINDOW,
    smallWindow: DEFAULT_SMALL_WINDOW,
    rounds: DEFAULT_ROUNDS,
    senders: DEFAULT_SENDERS,
    fanout: [...DEFAULT_FANOUT],
    steadyReceivers: DEFAULT_STEADY_RECEIVERS,
    steadyRate: undefined,
    idle: [...DEFAULT_IDLE],
    ircFanout: [...DEFAULT_IRC_FANOUT],
    ircIdle: [...DEFAULT_IRC_IDLE],
    wsFanout: [...DEFAULT_WS_FANOUT],
    wsIdle: [...DEFAULT_WS_IDLE],
    storm: DEFAULT_STORM,
    trickle: DEFAULT_TRICKLE,
    trickleInFlight: DEFAULT_TRICKLE_IN_FLIGHT,
    pairs: DEFAULT_PAIRS,
    rooms: DEFAULT_ROOMS,
    roomSize: DEFAULT_ROOM_SIZE,
    track: DEFAULT_TRACK,
    messageBytes: 0,
    clusterReceivers: DEFAULT_CLUSTER_RECEIVERS,
    clusterRate: undefined,
    growth: [...DEFAULT_GROWTH],
    growthRate: DEFAULT_GROWTH_RATE,
    growthLogins: DEFAULT_GROWTH_LOGINS,
    clusterAof: true,
    redisServer: 'redis-server',
    server: undefined,
    serverArg: [],
    serverNodeArg: [],
    pin: true,
  };
}

type Kind = 'boolean' | 'int' | 'seconds' | 'int-list' | 'scenarios' | 'string' | 'target' | 'repeat';

export type BenchOptionSpec = FlagSpec<keyof BenchOptions, Kind>;

export const BENCH_OPTION_TABLE: readonly BenchOptionSpec[] = [
  { key: 'target', flag: '--target <host:port>', kind: 'target', description: 'measure a running chat server instead of starting one' },
  { key: 'scenario', flag: '--scenario <names>', kind: 'scenarios', description: `comma-separated scenarios: ${SCENARIO_NAMES.join(', ')} (irc-fanout, irc-idle, ws-fanout, ws-idle, cluster and growth only when named: the IRC ones add an IRC listener to the server, the WebSocket ones its web port, cluster starts its own redis-server and chat nodes, growth builds rooms of up to 10,000)` },
  { key: 'quick', flag: '--quick', kind: 'boolean', description: 'a short smoke run: small sizes, half-second measurements' },
  { key: 'json', flag: '--json', kind: 'boolean', description: 'print the results as JSON on stdout instead of the table' },
  { key: 'markdown', flag: '--markdown', kind: 'boolean', description: 'print the table as Markdown (for docs/BENCHMARKS.md)' },
  { key: 'jsonOut', flag: '--json-out <path>', kind: 'string', description: 'also write the JSON results to this file' },
  { key: 'baseline', flag: '--no-baseline', kind: 'boolean', description: 'skip the bare node:net relay baseline (no ratios)' },
  { key: 'workers', flag: '--workers <n>', kind: 'int', min: 0, description: 'load-generator worker threads; 0: one per core left to the generator (1 when pinned, else up to 2)' },
  { key: 'duration', flag: '--duration <seconds>', kind: 'seconds', min: 0.1, description: 'measured time of each traffic scenario per target, split over the rounds' },
  { key: 'rounds', flag: '--rounds <n>', kind: 'int', min: 1, description: 'measured segments per target, alternating with the baseline; figures are their median' },
  { key: 'warmup', flag: '--warmup <seconds>', kind: 'seconds', min: 0, description: 'traffic before each measured segment' },
  { key: 'window', flag: '--window <n>', kind: 'int', min: 1, description: 'fanout: messages each sender may have in flight (not yet at every receiver)' },
  { key: 'smallWindow', flag: '--small-window <n>', kind: 'int', min: 1, description: 'private, its TEXT twin and rooms: messages each sender may have in flight' },
  { key: 'senders', flag: '--senders <n>', kind: 'int', min: 1, description: 'senders in the fanout and steady rooms' },
  { key: 'fanout', flag: '--fanout <sizes>', kind: 'int-list', min: 1, description: 'receivers in the fanout room, one run per size' },
  { key: 'steadyReceivers', flag: '--steady-receivers <n>', kind: 'int', min: 1, description: 'receivers in the steady room' },
  { key: 'steadyRate', flag: '--steady-rate <msgs/s>', kind: 'int', min: 1, description: "offered messages/s in steady (default: half the baseline's saturation)" },
  { key: 'idle', flag: '--idle <sizes>', kind: 'int-list', min: 1, description: 'idle logged-in connections, one run per size' },
  { key: 'ircFanout', flag: '--irc-fanout <sizes>', kind: 'int-list', min: 1, description: 'irc-fanout: receivers in the room, one run per size: all line members, all IRC, half and half, beside the relay' },
  { key: 'ircIdle', flag: '--irc-idle <sizes>', kind: 'int-list', min: 1, description: 'irc-idle: idle connections (registered, in channels of 100), one run per size, IRC and line members alike' },
  { key: 'wsFanout', flag: '--ws-fanout <sizes>', kind: 'int-list', min: 1, description: 'ws-fanout: receivers in the room, one run per size: all line members, all WebSocket, half and half, beside the relay' },
  { key: 'wsIdle', flag: '--ws-idle <sizes>', kind: 'int-list', min: 1, description: 'ws-idle: idle connections (logged in, in rooms of 100), one run per size, WebSocket and line members alike' },
  { key: 'storm', flag: '--storm <n>', kind: 'int', min: 1, description: 'logins in the storm: all at once, then again with 8 in flight' },
  { key: 'trickle', flag: '--trickle <n>', kind: 'int', min: 1, description: 'logins into one room (the lobby) in the trickle' },
  { key: 'trickleInFlight', flag: '--trickle-in-flight <n>', kind: 'int', min: 1, description: "trickle and growth: logins in flight at once (a reconnect wave's jittered backoff)" },
  { key: 'pairs', flag: '--pairs <n>', kind: 'int', min: 1, description: 'pairs exchanging PRIVATE messages' },
  { key: 'rooms', flag: '--rooms <n>', kind: 'int', min: 1, description: 'small rooms, each with one sender' },
  { key: 'roomSize', flag: '--room-size <n>', kind: 'int', min: 2, description: 'members per small room' },
  { key: 'track', flag: '--track <n>', kind: 'int', min: 1, description: 'fanout and steady: receivers that parse every payload (latency, per-sender order); the others count lines (private and rooms parse all)' },
  { key: 'messageBytes', flag: '--message-bytes <n>', kind: 'int', min: 0, description: 'pad each message to this many bytes (0: none; a bare payload is about 30 bytes)' },
  { key: 'growth', flag: '--growth <sizes>', kind: 'int-list', min: 2, description: 'growth: members of the room, one step per size' },
  { key: 'growthRate', flag: '--growth-rate <msgs/s>', kind: 'int', min: 1, description: 'growth: offered messages/s into the room, the same at every size' },
  { key: 'growthLogins', flag: '--growth-logins <n>', kind: 'int', min: 1, description: 'growth: extra logins into the room at each size, for the cost of one login' },
  { key: 'clusterReceivers', flag: '--cluster-receivers <n>', kind: 'int', min: 1, description: 'cluster: receivers in the room (on the other nodes in the cross-node runs)' },
  { key: 'clusterRate', flag: '--cluster-rate <msgs/s>', kind: 'int', min: 1, description: "cluster: offered messages/s of the steady runs (default: a quarter of the cross-node fanout's rate)" },
  { key: 'clusterAof', flag: '--no-cluster-aof', kind: 'boolean', description: 'cluster: skip the two-node setup on a redis-server with the append-only file on (appendfsync everysec)' },
  { key: 'redisServer', flag: '--redis-server <path>', kind: 'string', description: 'cluster: the redis-server binary to start' },
  { key: 'server', flag: '--server <path>', kind: 'string', description: "the chat server's main.js (default: the built dist/server/main.js)" },
  { key: 'serverArg', flag: '--server-arg <arg>', kind: 'repeat', description: 'extra flag for the server (repeatable; after the bench\'s own)' },
  { key: 'serverNodeArg', flag: '--server-node-arg <arg>', kind: 'repeat', description: 'extra node flag for the server, e.g. --cpu-prof (repeatable)' },
  { key: 'pin', flag: '--no-pin', kind: 'boolean', description: 'do not pin the server and the generator to separate cores with taskset' },
];

const KINDS: Record<Kind, ValueKind<BenchOptionSpec>> = {
  // --quick turns on, --no-pin turns off: a switch turns its default over.
  boolean: {},
  int: { parse: (text, spec) => parseNumber(text, spec, true) },
  seconds: { parse: (text, spec) => parseNumber(text, spec, false) },
  'int-list': { parse: (text, spec) => text.split(',').map((piece) => parseNumber(piece.trim(), spec, true)) },
  scenarios: {
    parse: (text, spec) => {
      const name = flagName(spec);
      const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
      for (const n of names) {
        if (!(SCENARIO_NAMES as readonly string[]).includes(n)) {
          throw new OptionValueError(`${name}: unknown scenario '${n}' (known: ${SCENARIO_NAMES.join(', ')})`);
        }
      }
      if (names.length === 0) throw new OptionValueError(`${name} needs at least one scenario`);
      return names;
    },
  },
  string: { parse: (text, spec) => parseNonEmpty(text, spec) },
  target: {
    parse: (text, spec) => {
      parseTarget(parseNonEmpty(text, spec));
      return text;
    },
  },
  repeat: { parse: (text, _spec, previous) => [...((previous as string[] | undefined) ?? []), text] },
};

/** The bench's flags: commander's options, their values and the docs table. */
export const benchFlags = optionKit({ table: BENCH_OPTION_TABLE, kinds: KINDS, defaults: defaultBenchOptions });

/** Parses one flag value; throws a one-line OptionValueError on a bad value. */
export function parseBenchValue(spec: BenchOptionSpec, text: string, previous?: unknown): unknown {
  return benchFlags.parse(spec, text, previous);
}

/** `host:port` (IPv6 as `[::1]:port`). */
export function parseTarget(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):([0-9]+)$/.exec(text);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !(port >= 1 && port <= 65535)) throw new OptionValueError(`--target must be host:port, got '${text}'`);
  return { host: m[1] ?? m[2]!, port };
}

/** The flag table of docs/BENCHMARKS.md, generated here so the two cannot drift apart. */
export function benchFlagTableMarkdown(defaults: BenchOptions = defaultBenchOptions()): string {
  // A dash marks a value flag without a default; a switch has none to show.
  return benchFlags.markdownTable({ defaultCell: (shown, spec) => shown ?? (benchFlags.isSwitch(spec) ? '' : '–') }, defaults);
}
