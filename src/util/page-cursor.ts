/**
 * Paging guard (issue 18.8): a server that answers "there is a next page" with a cursor it already
 * gave (or none) would keep a listing asking for ever. Each listing keeps one {@link PageCursors} and
 * passes every next-page cursor through it; a cursor seen before is a typed error, not a loop.
 */
import { ArtifactError, type ErrorContext } from "../errors.js";

/** The cursors (continuation tokens, markers, page tokens) one listing has followed. */
export class PageCursors {
  readonly #seen = new Set<string>();
  readonly #what: string;
  readonly #context: ErrorContext;

  /** `what` names the listing in the error ("the files of W&B artifact X"). */
  constructor(what: string, context: ErrorContext = {}) {
    this.#what = what;
    this.#context = context;
  }

  /**
   * The cursor of the next page, checked: `UNEXPECTED` when the server says there is a next page but
   * gives no cursor, or gives one this listing already followed (it would page in a loop).
   */
  next(cursor: string | null | undefined): string {
    if (cursor === null || cursor === undefined || cursor === "") {
      throw this.#fail("announced a next page without a cursor");
    }
    if (this.#seen.has(cursor)) {
      throw this.#fail(`answered the page cursor ${JSON.stringify(cursor.slice(0, 80))} a second time`);
    }
    this.#seen.add(cursor);
    return cursor;
  }

  /** Pages followed so far. */
  get pages(): number {
    return this.#seen.size;
  }

  #fail(why: string): ArtifactError {
    return new ArtifactError(
      "UNEXPECTED",
      `listing ${this.#what}: the server ${why}, after ${this.#seen.size + 1} page(s); stopped instead of paging in a loop`,
      { context: { operation: "list", ...this.#context } },
    );
  }
}
