/** The running totals behind a progress display, folded from the library's progress events. */
import type { ProgressEvent } from "../../index.js";

/** Totals of one long operation. */
export interface ProgressState {
  operation: "upload" | "download" | "verify";
  totalFiles: number;
  totalBytes: number;
  filesDone: number;
  /** Bytes transferred so far, across finished and in-flight files. */
  bytes: number;
  /** Bytes per second since the start. */
  rate: number;
  elapsedMs: number;
  /** Bytes of finished files. */
  finishedBytes: number;
  /** Bytes so far of files in flight, by path. */
  inFlight: Map<string, number>;
  startedAt: number;
}

/** A state before the `start` event. */
export function createProgressState(now: number): ProgressState {
  return {
    operation: "upload",
    totalFiles: 0,
    totalBytes: 0,
    filesDone: 0,
    bytes: 0,
    rate: 0,
    elapsedMs: 0,
    finishedBytes: 0,
    inFlight: new Map(),
    startedAt: now,
  };
}

/** Folds one event into `state` (mutates it). */
export function updateProgressState(state: ProgressState, event: ProgressEvent, now: number): void {
  switch (event.type) {
    case "start":
      state.operation = event.operation;
      state.totalFiles = event.files;
      state.totalBytes = event.totalBytes;
      state.startedAt = now;
      break;
    case "file":
      state.inFlight.set(event.path, event.bytes);
      break;
    case "file-done":
      state.inFlight.delete(event.path);
      state.filesDone += 1;
      state.finishedBytes += event.size;
      break;
    case "done":
      state.inFlight.clear();
      state.filesDone = event.files;
      state.finishedBytes = event.bytes;
      break;
  }
  let inFlight = 0;
  for (const bytes of state.inFlight.values()) inFlight += bytes;
  state.bytes = state.finishedBytes + inFlight;
  state.elapsedMs = Math.max(0, now - state.startedAt);
  state.rate = state.elapsedMs > 0 ? (state.bytes * 1000) / state.elapsedMs : 0;
}
