/**
 * Common Python objects training code stores in checkpoints, decoded as inert plain data: each
 * builder's work is O(1) or bounded by a small constant (nothing big is copied), and nothing runs.
 *
 * defaultdict / Counter → dict; pathlib paths → string; datetime → `isoformat()` string, date → ISO
 * date string, timedelta → `total_seconds()`, timezone → its `+HH:MM` offset; complex → `Tuple(re, im)`;
 * bytearray → `Uint8Array`.
 */
import { invalidCheckpoint } from "./invalid.js";
import { PyDict } from "./pickle/py-dict.js";
import { PyFloat, Tuple } from "./values.js";

type Builder = (args: unknown[]) => unknown;

/** The longest path accepted (Windows' long-path limit), which bounds each path call's work. */
const MAX_PATH = 32_767;

/** `defaultdict(factory)`: a dict (the factory, a class, is dropped); SETITEMs fill it. */
function defaultDict(args: unknown[]): PyDict {
  if (args.length > 1) throw invalidCheckpoint("defaultdict() with more than a factory");
  return new PyDict();
}

/** `Counter(dict)`: the dict of counts itself (not copied: O(1) whatever its size). */
function counter(args: unknown[]): PyDict {
  const [counts] = args;
  if (args.length === 0) return new PyDict();
  if (!(counts instanceof PyDict) || args.length > 1)
    throw invalidCheckpoint("Counter() of something else than a dict");
  return counts;
}

/** A path from its pickled segments (`('/', 'a', 'b')`), joined with `sep`. */
function pathOf(sep: "/" | "\\"): Builder {
  return (args) => {
    let path = "";
    for (const part of args) {
      if (typeof part !== "string") throw invalidCheckpoint("a pathlib path segment is not a string");
      if (path.length + part.length + 1 > MAX_PATH) throw invalidCheckpoint("a pathlib path is too long");
      const joined =
        path === "" || path.endsWith("/") || path.endsWith(sep) || (sep === "\\" && path.endsWith(":"));
      path = joined ? path + part : path + sep + part;
    }
    return path === "" ? "." : path;
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** `timezone(timedelta[, name])` → its offset as `isoformat()` writes it (`+05:30`, `-08:00`, `+00:00`). */
function timezone(args: unknown[]): string {
  const [offset] = args;
  const seconds = typeof offset === "number" ? offset : offset instanceof PyFloat ? offset.value : Number.NaN;
  if (!Number.isFinite(seconds) || Math.abs(seconds) >= 86_400)
    throw invalidCheckpoint("timezone() without an offset");
  const micro = Math.round(Math.abs(seconds) * 1e6);
  const s = Math.floor(micro / 1e6);
  let text = `${seconds < 0 ? "-" : "+"}${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}`;
  if (s % 60 !== 0 || micro % 1e6 !== 0) text += `:${pad(s % 60)}`;
  if (micro % 1e6 !== 0) text += `.${pad(micro % 1e6, 6)}`;
  return text;
}

/** `datetime(bytes[, tz])`: the 10-byte state → `isoformat()`; a tz must be a fixed offset. */
function datetime(args: unknown[]): string {
  const [data, tz] = args;
  if (!(data instanceof Uint8Array) || data.byteLength !== 10 || args.length > 2) {
    throw invalidCheckpoint("datetime() without its 10-byte state");
  }
  if (tz !== undefined && tz !== null && typeof tz !== "string")
    throw invalidCheckpoint("datetime() with a bad tzinfo");
  const b = (i: number) => data[i] as number;
  const micro = (b(7) << 16) | (b(8) << 8) | b(9);
  let text = `${dateText(data)}T${pad(b(4))}:${pad(b(5))}:${pad(b(6))}`;
  if (micro !== 0) text += `.${pad(micro, 6)}`;
  return text + (tz ?? "");
}

function dateText(data: Uint8Array): string {
  const year = ((data[0] as number) << 8) | (data[1] as number);
  return `${pad(year, 4)}-${pad((data[2] as number) & 0x7f)}-${pad(data[3] as number)}`; // 0x80 of the month: fold
}

/** `date(bytes)`: the 4-byte state → `YYYY-MM-DD`. */
function date(args: unknown[]): string {
  const [data] = args;
  if (!(data instanceof Uint8Array) || data.byteLength !== 4 || args.length > 1) {
    throw invalidCheckpoint("date() without its 4-byte state");
  }
  return dateText(data);
}

/** `timedelta(days, seconds, microseconds)` → `total_seconds()` (a PyFloat when integral, as Python's). */
function timedelta(args: unknown[]): number | PyFloat {
  const [days = 0, seconds = 0, micro = 0] = args;
  if (
    args.length > 3 ||
    ![days, seconds, micro].every((v) => typeof v === "number" && Number.isSafeInteger(v))
  ) {
    throw invalidCheckpoint("timedelta() of something else than (days, seconds, microseconds)");
  }
  const total = (((days as number) * 86_400 + (seconds as number)) * 1e6 + (micro as number)) / 1e6;
  return Number.isInteger(total) ? new PyFloat(total) : total;
}

/** `complex(re, im)` → `Tuple(re, im)`. */
function complex(args: unknown[]): Tuple<unknown> {
  const [re = 0, im = 0] = args;
  const ok = (v: unknown) => typeof v === "number" || v instanceof PyFloat;
  if (args.length > 2 || !ok(re) || !ok(im))
    throw invalidCheckpoint("complex() of something else than two floats");
  const t = new Tuple<unknown>();
  t.push(re, im);
  return t;
}

/** `bytearray(bytes)` → the bytes (not copied). */
function bytearray(args: unknown[]): Uint8Array {
  const [data] = args;
  if (args.length === 0) return new Uint8Array(0);
  if (!(data instanceof Uint8Array) || args.length > 1)
    throw invalidCheckpoint("bytearray() of something else than bytes");
  return data;
}

const posix = pathOf("/");
const windows = pathOf("\\");

/** The allow-listed Python classes and functions of this file, by `module.name`. */
export const PYTHON_OBJECT_BUILDERS: ReadonlyArray<[string, Builder]> = [
  ["collections.defaultdict", defaultDict],
  ["collections.Counter", counter],
  ...["pathlib", "pathlib._local"].flatMap((m): [string, Builder][] => [
    [`${m}.PosixPath`, posix],
    [`${m}.PurePosixPath`, posix],
    [`${m}.WindowsPath`, windows],
    [`${m}.PureWindowsPath`, windows],
  ]),
  ["datetime.datetime", datetime],
  ["datetime.date", date],
  ["datetime.timedelta", timedelta],
  ["datetime.timezone", timezone],
  ["builtins.complex", complex],
  ["builtins.bytearray", bytearray],
];
