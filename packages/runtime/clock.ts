// The wall clock a service writes into what it records (a change's observedAt, the time in a
// message). It is injectable so that tests can make it jump, as a machine's clock does when NTP
// steps it. Nothing that measures time between two moments reads it: intervals, ages and timeouts
// use the monotonic clock (performance.now), so a jump never stalls, hurries or alarms anything.
export interface Clock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
