// Reading Redis's INFO output: the counters the cluster scenario turns into
// "what Redis costs per message". Pure: no I/O.

/** INFO's `key:value` lines as a map (section headers and blank lines skipped). */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

export interface CommandStat {
  calls: number;
  /** Microseconds spent executing the command (not reading or writing sockets). */
  usec: number;
}

/**
 * The `commandstats` section: `cmdstat_xadd:calls=3,usec=21,usec_per_call=7.00,…`
 * → `{ xadd: { calls: 3, usec: 21 } }`. Subcommands keep their name (`config|get`).
 */
export function commandStats(info: Map<string, string>): Map<string, CommandStat> {
  const stats = new Map<string, CommandStat>();
  for (const [key, value] of info) {
    if (!key.startsWith('cmdstat_')) continue;
    const parts = new Map(
      value.split(',').map((pair) => {
        const eq = pair.indexOf('=');
        return [pair.slice(0, eq), Number(pair.slice(eq + 1))] as const;
      }),
    );
    const calls = parts.get('calls');
    const usec = parts.get('usec');
    if (calls === undefined || usec === undefined || !Number.isFinite(calls) || !Number.isFinite(usec)) continue;
    stats.set(key.slice('cmdstat_'.length), { calls, usec });
  }
  return stats;
}

function numberField(info: Map<string, string>, key: string): number {
  const value = Number(info.get(key));
  return Number.isFinite(value) ? value : NaN;
}

/** What Redis did between two INFO readings. */
export interface RedisDelta {
  /** Commands processed (total_commands_processed), every client included. */
  commands: number;
  netInputBytes: number;
  netOutputBytes: number;
  /** Per command: calls and execution time in the interval. */
  byCommand: Map<string, CommandStat>;
}

export function infoDelta(before: Map<string, string>, after: Map<string, string>): RedisDelta {
  const diff = (key: string): number => numberField(after, key) - numberField(before, key);
  const a = commandStats(before);
  const byCommand = new Map<string, CommandStat>();
  for (const [name, stat] of commandStats(after)) {
    const old = a.get(name) ?? { calls: 0, usec: 0 };
    const calls = stat.calls - old.calls;
    if (calls > 0) byCommand.set(name, { calls, usec: stat.usec - old.usec });
  }
  return {
    commands: diff('total_commands_processed'),
    netInputBytes: diff('total_net_input_bytes'),
    netOutputBytes: diff('total_net_output_bytes'),
    byCommand,
  };
}

/** Redis's cost of one chat message, and what one Redis core would carry at that cost. */
export interface RedisCost {
  commandsPerMessage: number;
  /** CPU time of the redis-server process (all its threads) per message, µs. */
  cpuUsPerMessage: number;
  /** Messages/s at 100 % of one core: 10⁶ / cpuUsPerMessage. */
  messagesPerCoreSecond: number;
  outputBytesPerMessage: number;
}

export function redisCost(delta: RedisDelta, cpuSeconds: number, messages: number): RedisCost {
  const per = (v: number): number => (messages > 0 && Number.isFinite(v) ? v / messages : NaN);
  const cpuUs = per(cpuSeconds * 1e6);
  return {
    commandsPerMessage: per(delta.commands),
    cpuUsPerMessage: cpuUs,
    messagesPerCoreSecond: cpuUs > 0 ? 1e6 / cpuUs : NaN,
    outputBytesPerMessage: per(delta.netOutputBytes),
  };
}

/** Execution time per call of one command in the interval (commandstats), µs; NaN when not called. */
export function usecPerCall(delta: RedisDelta, command: string): number {
  const stat = delta.byCommand.get(command);
  return stat === undefined || stat.calls === 0 ? NaN : stat.usec / stat.calls;
}
