import { defineConfig } from "tsup";
import { appBundle } from "../../tsup.app";

export default defineConfig(appBundle(new URL("./package.json", import.meta.url)));
