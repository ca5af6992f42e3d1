// tests/k8s-validate.mjs - check Kubernetes and CloudNativePG objects
// against their published schemas, offline.
//
//   node tests/k8s-validate.mjs DOCS.json
//
// DOCS.json is a JSON array of {"source": "file#index", "doc": {...}} (the
// caller parses the YAML). Two checks per object, both from the npm packages
// pinned in tests/package.json:
//  1. the JSON-schema validator of its kind (kubernetes-models, from the
//     Kubernetes OpenAPI spec; @kubernetes-models/cloudnative-pg, from the
//     CNPG API types): types, required fields, enums, formats;
//  2. TypeScript's excess-property check against the same packages' typed
//     interfaces, because those schemas allow unknown fields and a typo like
//     `readinesProbe` would otherwise pass (the API server rejects it).
// Prints one line per problem, "source: message", and exits 1 if any.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const nodeModules = join(here, "node_modules");

/* apiVersion group -> the package (and folder) holding its models. */
const packages = {
	"": "kubernetes-models/v1",
	"postgresql.cnpg.io": "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io",
};

function modulePath(apiVersion, kind) {
	const slash = apiVersion.indexOf("/");
	const group = slash < 0 ? "" : apiVersion.slice(0, slash);
	const version = apiVersion.slice(slash + 1);
	if (group === "") return `${packages[""]}/${kind}`;
	const base = packages[group] ?? `kubernetes-models/${group}`;
	return `${base}/${version}/${kind}`;
}

const docs = JSON.parse(readFileSync(process.argv[2], "utf8"));
const problems = [];
const typed = []; /* {source, module, kind, doc} */

for (const { source, doc } of docs) {
	if (!doc || typeof doc.apiVersion !== "string" || typeof doc.kind !== "string") {
		problems.push(`${source}: no apiVersion or kind`);
		continue;
	}
	const module = modulePath(doc.apiVersion, doc.kind);
	let Model;
	try {
		Model = (await import(module))[doc.kind];
	} catch {
		Model = undefined;
	}
	if (typeof Model !== "function") {
		problems.push(`${source}: no schema for ${doc.apiVersion} ${doc.kind}`);
		continue;
	}
	try {
		new Model(doc).validate();
	} catch (e) {
		for (const line of String(e.message).split("\n"))
			problems.push(`${source}: ${doc.kind}: ${line}`);
	}
	typed.push({ source, module, kind: doc.kind, doc });
}

/* One declaration per line, so tsc's line numbers map back to sources. */
if (typed.length > 0) {
	const dir = mkdtempSync(join(tmpdir(), "hcpd-k8s-"));
	try {
		symlinkSync(nodeModules, join(dir, "node_modules"));
		const lines = typed.map(
			(t, i) => `import type { I${t.kind} as T${i} } from "${t.module}";`,
		);
		const first = lines.length + 1;
		typed.forEach((t, i) => lines.push(`export const d${i}: T${i} = ${JSON.stringify(t.doc)};`));
		writeFileSync(join(dir, "manifests.ts"), lines.join("\n") + "\n");
		writeFileSync(
			join(dir, "tsconfig.json"),
			JSON.stringify({
				compilerOptions: {
					noEmit: true,
					strict: true,
					module: "esnext",
					moduleResolution: "bundler",
					target: "es2022",
					skipLibCheck: true,
					types: [],
				},
				files: ["manifests.ts"],
			}),
		);
		try {
			execFileSync(join(nodeModules, ".bin", "tsc"), ["-p", dir, "--pretty", "false"], {
				encoding: "utf8",
			});
		} catch (e) {
			const out = `${e.stdout ?? ""}${e.stderr ?? ""}`;
			let mapped = 0;
			for (const m of out.matchAll(/manifests\.ts\((\d+),\d+\): error (TS\d+: .*)/g)) {
				const t = typed[Number(m[1]) - first];
				problems.push(`${t ? t.source : "manifests.ts:" + m[1]}: ${m[2]}`);
				mapped++;
			}
			if (mapped === 0) problems.push(`tsc failed: ${out || e.message}`);
		}
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

for (const p of problems) console.log(p);
console.log(`k8s-validate: ${docs.length} objects, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
