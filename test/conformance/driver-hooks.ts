/** Store hooks of the manager suite for any FileSystemArtifactManager: they reach the store through its driver. */
import type { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";
import { readAll } from "../../src/storage/body.js";
import type { ManagerSuiteOptions } from "./manager-suite.js";

export const DRIVER_HOOKS: ManagerSuiteOptions = {
  corruptFile: async ({ manager, collection, name, version, path }) => {
    const driver = await (manager as FileSystemArtifactManager).getDriver();
    const key = `${collection}/${name}/${version}/${path}`;
    const original = await readAll(await driver.read(key));
    await driver.write(key, Buffer.from(original.toString("utf8").toUpperCase()));
  },
  readDescription: async ({ manager, collection, name }) => {
    const driver = await (manager as FileSystemArtifactManager).getDriver();
    return (await readAll(await driver.read(`${collection}/${name}/meta/readme.txt`))).toString("utf8");
  },
};
