/**
 * Loads a cloud SDK on first use. The SDKs are optional peer dependencies (a local, memory:// or W&B
 * user does not install 120 MB of them), so a missing one is the user's next step, not a crash:
 * {@link loadSdk} turns "cannot find package" into an `UNSUPPORTED` error with the exact install line.
 */
import { ArtifactError } from "../errors.js";

/**
 * The SDK version each backend was tested with (package.json's `devDependencies`; its
 * `peerDependencies` accept this version and later ones of the same major). A test keeps them equal.
 */
export const CLOUD_SDK_VERSIONS = {
  "@aws-sdk/client-s3": "3.1175.0",
  "@aws-sdk/lib-storage": "3.1175.0",
  "@azure/identity": "4.13.1",
  "@azure/storage-blob": "12.32.0",
  "@google-cloud/storage": "7.22.0",
} as const;

/** A cloud SDK package the library loads on demand. */
export type CloudSdk = keyof typeof CLOUD_SDK_VERSIONS;

/** The backend that needs each SDK, and the packages its users install together. */
const SDK_USERS: Record<CloudSdk, { backend: string; install: readonly CloudSdk[]; why: string }> = {
  "@aws-sdk/client-s3": {
    backend: "s3",
    install: ["@aws-sdk/client-s3", "@aws-sdk/lib-storage"],
    why: "s3:// stores",
  },
  "@aws-sdk/lib-storage": {
    backend: "s3",
    install: ["@aws-sdk/client-s3", "@aws-sdk/lib-storage"],
    why: "s3:// stores",
  },
  "@google-cloud/storage": { backend: "gcs", install: ["@google-cloud/storage"], why: "gs:// stores" },
  "@azure/storage-blob": { backend: "azure", install: ["@azure/storage-blob"], why: "az:// stores" },
  "@azure/identity": {
    backend: "azure",
    install: ["@azure/identity"],
    why: "az:// stores authenticated by DefaultAzureCredential (no connection string, account key or SAS token given)",
  },
};

/** The `npm i …` line that installs what `sdk`'s backend needs, at the tested versions. */
export function sdkInstallCommand(sdk: CloudSdk): string {
  return `npm i ${SDK_USERS[sdk].install.map((name) => `${name}@${CLOUD_SDK_VERSIONS[name]}`).join(" ")}`;
}

/**
 * Runs `load` (an `import()` of `sdk`, written as a literal so bundlers see it) and maps "package not
 * installed" to `UNSUPPORTED` naming the install line. Other failures (a broken install) pass unchanged.
 */
export async function loadSdk<T>(sdk: CloudSdk, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (cause) {
    if (!isMissingPackage(cause, sdk)) throw cause;
    const { backend, why } = SDK_USERS[sdk];
    throw new ArtifactError(
      "UNSUPPORTED",
      `${why} need the optional package ${sdk}, which is not installed; install it with: ${sdkInstallCommand(sdk)}`,
      { cause, context: { backend, operation: "load-sdk", package: sdk, install: sdkInstallCommand(sdk) } },
    );
  }
}

/** True when `error` says that package `name` itself cannot be resolved (ESM or CommonJS resolution). */
function isMissingPackage(error: unknown, name: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") return false;
  return error.message.includes(`'${name}'`) || error.message.includes(`"${name}"`);
}
