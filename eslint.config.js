import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/generated/**", "bench/results/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
      "no-restricted-properties": ["error", { object: "process", property: "env", message: "Read configuration through @wbslots/config." }],
    },
  },
  {
    files: ["packages/config/src/load.ts", "packages/testkit/**", "tests/**", "bench/**", "scripts/**", "**/*.test.ts", "prisma.config.ts"],
    rules: { "no-restricted-properties": "off" },
  },
);
