import { describe, expect, it } from 'vitest';
import { commandStats, infoDelta, parseInfo, redisCost, usecPerCall } from '../../src/bench/redis-info.js';

// Trimmed from a real `INFO all` of redis-server 7.0 (CRLF line ends, as Redis sends them).
const before = [
  '# Server',
  'redis_version:7.0.15',
  'redis_mode:standalone',
  '',
  '# Stats',
  'total_connections_received:7',
  'total_commands_processed:1000',
  'instantaneous_ops_per_sec:0',
  'total_net_input_bytes:50000',
  'total_net_output_bytes:20000',
  '',
  '# Commandstats',
  'cmdstat_xadd:calls=400,usec=400,usec_per_call=1.00,rejected_calls=0,failed_calls=0',
  'cmdstat_publish:calls=400,usec=120,usec_per_call=0.30,rejected_calls=0,failed_calls=0',
  'cmdstat_config|get:calls=2,usec=16,usec_per_call=8.00,rejected_calls=0,failed_calls=0',
  '',
].join('\r\n');

const after = [
  '# Stats',
  'total_commands_processed:21010',
  'total_net_input_bytes:2050000',
  'total_net_output_bytes:3020000',
  '# Commandstats',
  'cmdstat_xadd:calls=10400,usec=9400,usec_per_call=0.90,rejected_calls=0,failed_calls=0',
  'cmdstat_publish:calls=10400,usec=4120,usec_per_call=0.40,rejected_calls=0,failed_calls=0',
  'cmdstat_multi:calls=50,usec=5,usec_per_call=0.10,rejected_calls=0,failed_calls=0',
  'cmdstat_exec:calls=50,usec=10000,usec_per_call=200.00,rejected_calls=0,failed_calls=0',
  'cmdstat_config|get:calls=2,usec=16,usec_per_call=8.00,rejected_calls=0,failed_calls=0',
  '',
].join('\r\n');

describe('Redis INFO parsing', () => {
  it('reads key:value lines and skips headers and blanks', () => {
    const info = parseInfo(before);
    expect(info.get('redis_version')).toBe('7.0.15');
    expect(info.get('total_commands_processed')).toBe('1000');
    expect(info.has('# Stats')).toBe(false);
    expect([...info.keys()].some((k) => k.endsWith('\r'))).toBe(false);
  });

  it('splits commandstats into calls and microseconds, subcommands included', () => {
    const stats = commandStats(parseInfo(before));
    expect(stats.get('xadd')).toEqual({ calls: 400, usec: 400 });
    expect(stats.get('config|get')).toEqual({ calls: 2, usec: 16 });
    expect(stats.has('redis_version')).toBe(false);
  });

  it('gives what happened between two readings', () => {
    const delta = infoDelta(parseInfo(before), parseInfo(after));
    expect(delta.commands).toBe(20_010);
    expect(delta.netInputBytes).toBe(2_000_000);
    expect(delta.netOutputBytes).toBe(3_000_000);
    expect(delta.byCommand.get('xadd')).toEqual({ calls: 10_000, usec: 9000 });
    // New in the second reading: counted from zero.
    expect(delta.byCommand.get('exec')).toEqual({ calls: 50, usec: 10_000 });
    // Not called in between: left out.
    expect(delta.byCommand.has('config|get')).toBe(false);
    expect(usecPerCall(delta, 'publish')).toBeCloseTo(0.4);
    expect(usecPerCall(delta, 'get')).toBeNaN();
  });

  it('turns a delta into the cost of one message and one core’s limit', () => {
    const delta = infoDelta(parseInfo(before), parseInfo(after));
    // 10,000 messages took 0.03 s of Redis CPU: 3 µs each, so 333 k/s on one core.
    const cost = redisCost(delta, 0.03, 10_000);
    expect(cost.commandsPerMessage).toBeCloseTo(2.001);
    expect(cost.cpuUsPerMessage).toBeCloseTo(3);
    expect(cost.messagesPerCoreSecond).toBeCloseTo(333_333, -1);
    expect(cost.outputBytesPerMessage).toBe(300);
    expect(redisCost(delta, 0.03, 0).cpuUsPerMessage).toBeNaN();
    expect(redisCost(delta, 0.03, 0).messagesPerCoreSecond).toBeNaN();
  });

  it('marks a missing counter as unknown rather than zero', () => {
    const delta = infoDelta(parseInfo('# Stats\r\n'), parseInfo(after));
    expect(delta.commands).toBeNaN();
  });
});
