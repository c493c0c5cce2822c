import {
  FileDescriptorProto,
  type IDescriptorProto,
  type IEnumDescriptorProto,
  type IFieldDescriptorProto,
  type IFileDescriptorProto,
} from 'protobufjs/ext/descriptor';

/**
 * proto-loader builds its FileDescriptorProtos with protobufjs, which writes them in a shape
 * protoc never produces and Go/C++ tooling (grpcurl) rejects: a map field's implicit entry is
 * named `Details` instead of `DetailsEntry`, type names are relative (`Factor`), each file is
 * named after its package (`mfa_v1.proto`) and lists no imports. This rewrites them the way
 * protoc writes them. Names are resolved before anything is renamed, so a relative name always
 * means what protobufjs meant by it.
 */

const TYPE_GROUP = 10;
const TYPE_MESSAGE = 11;
const TYPE_ENUM = 14;

type Declaration =
  | { kind: 'package' }
  | { kind: 'message'; proto: IDescriptorProto; file: IFileDescriptorProto }
  | { kind: 'enum'; proto: IEnumDescriptorProto; file: IFileDescriptorProto };

type TypeDeclaration = Exclude<Declaration, { kind: 'package' }>;

/** A type name to rewrite once the declaration it points at has its final full name. */
interface TypeReference {
  file: IFileDescriptorProto;
  field?: IFieldDescriptorProto;
  target: TypeDeclaration;
  rewrite(fullName: string): void;
}

/**
 * Rewrites encoded FileDescriptorProtos (one per package, as proto-loader makes them) into the
 * form protoc writes. `fileNameOfPackage` gives each package's file its protoc name: its path
 * below the proto root, e.g. `mfa/v1/mfa.proto`.
 */
export function toProtocDescriptors(encoded: readonly Uint8Array[], fileNameOfPackage: Readonly<Record<string, string>>): Buffer[] {
  const files = encoded.map((bytes) => FileDescriptorProto.decode(bytes) as IFileDescriptorProto);
  const declarations = declarationsOf(files);
  const references = files.flatMap((file) => typeReferencesOf(file, declarations));
  const targetOfField = new Map(references.flatMap(({ field, target }) => (field ? [[field, target.proto] as const] : [])));
  for (const file of files) forEachMessage(file, (message) => nameMapEntries(message, targetOfField));

  const fullNames = fullNamesOf(files);
  for (const reference of references) reference.rewrite(fullNames.get(reference.target.proto) ?? '');

  const fileNames = protocFileNames(files, fileNameOfPackage);
  for (const file of files) {
    file.dependency = dependenciesOf(file, references, fileNames);
    file.name = fileNames.get(file);
    forEachMessage(file, (message) => message.field?.forEach(setJsonName));
  }
  return files.map((file) => Buffer.from(FileDescriptorProto.encode(file).finish()));
}

/** protoc's name for a map field's entry message: the field name in CamelCase plus `Entry`. */
export function mapEntryName(fieldName: string): string {
  const camel = jsonName(fieldName);
  return `${camel.charAt(0).toUpperCase()}${camel.slice(1)}Entry`;
}

/** protoc's default JSON name: underscores dropped, the letter after each one capitalised. */
export function jsonName(fieldName: string): string {
  return fieldName.replace(/_+(.?)/g, (_, letter: string) => letter.toUpperCase());
}

function declarationsOf(files: IFileDescriptorProto[]): Map<string, Declaration> {
  const declarations = new Map<string, Declaration>();
  const addMessage = (scope: string, proto: IDescriptorProto, file: IFileDescriptorProto): void => {
    const fullName = `${scope}.${proto.name}`;
    declarations.set(fullName, { kind: 'message', proto, file });
    proto.nestedType?.forEach((nested) => addMessage(fullName, nested, file));
    proto.enumType?.forEach((nested) => declarations.set(`${fullName}.${nested.name}`, { kind: 'enum', proto: nested, file }));
  };
  for (const file of files) {
    const parts = file.package ? file.package.split('.') : [];
    parts.forEach((_, i) => declarations.set(`.${parts.slice(0, i + 1).join('.')}`, { kind: 'package' }));
    const scope = packageScope(file);
    file.messageType?.forEach((message) => addMessage(scope, message, file));
    file.enumType?.forEach((proto) => declarations.set(`${scope}.${proto.name}`, { kind: 'enum', proto, file }));
  }
  return declarations;
}

function typeReferencesOf(file: IFileDescriptorProto, declarations: Map<string, Declaration>): TypeReference[] {
  const references: TypeReference[] = [];
  const refer = (name: string, scope: string, wanted: TypeDeclaration['kind'] | undefined, rewrite: (fullName: string) => void, field?: IFieldDescriptorProto): void => {
    const target = resolve(name, scope, declarations);
    if (wanted && target.kind !== wanted) throw new Error(`${name} in ${scope} is a ${target.kind}, not a ${wanted}`);
    references.push({ file, field, target, rewrite });
  };
  const referFields = (fields: IFieldDescriptorProto[] | undefined, scope: string): void => {
    for (const field of fields ?? []) {
      if (field.typeName) refer(field.typeName, scope, kindOfFieldType(field.type), (fullName) => (field.typeName = fullName), field);
      if (field.extendee) refer(field.extendee, scope, 'message', (fullName) => (field.extendee = fullName));
    }
  };
  const visit = (message: IDescriptorProto, scope: string, parentScope: string): void => {
    const fullName = `${scope}.${message.name}`;
    // protobufjs names a map's value type relative to the scope around the map's message.
    referFields(message.field, message.options?.mapEntry ? parentScope : fullName);
    referFields(message.extension, fullName);
    message.nestedType?.forEach((nested) => visit(nested, fullName, scope));
  };
  const scope = packageScope(file);
  file.messageType?.forEach((message) => visit(message, scope, scope));
  referFields(file.extension, scope);
  for (const service of file.service ?? []) {
    const serviceScope = `${scope}.${service.name}`;
    for (const method of service.method ?? []) {
      refer(method.inputType ?? '', serviceScope, 'message', (fullName) => (method.inputType = fullName));
      refer(method.outputType ?? '', serviceScope, 'message', (fullName) => (method.outputType = fullName));
    }
  }
  return references;
}

/**
 * protoc's lookup of a relative name: the innermost enclosing scope that declares the name's
 * first part decides, and the rest must be found inside it.
 */
function resolve(name: string, scope: string, declarations: Map<string, Declaration>): TypeDeclaration {
  const found = (fullName: string): TypeDeclaration => {
    const declaration = declarations.get(fullName);
    if (!declaration || declaration.kind === 'package') throw new Error(`type ${name} (seen from ${scope || 'the root'}) is not declared`);
    return declaration;
  };
  if (name.startsWith('.')) return found(name);
  const firstPart = name.split('.')[0];
  for (let candidate = scope; ; candidate = candidate.slice(0, Math.max(candidate.lastIndexOf('.'), 0))) {
    if (declarations.has(`${candidate}.${firstPart}`)) return found(`${candidate}.${name}`);
    if (candidate === '') return found(`.${name}`);
  }
}

/** Names each map field's entry message as protoc does; the fields keep pointing at it. */
function nameMapEntries(message: IDescriptorProto, targetOfField: Map<IFieldDescriptorProto, object>): void {
  const entries = (message.nestedType ?? []).filter((nested) => nested.options?.mapEntry);
  for (const entry of entries) {
    const fields = (message.field ?? []).filter((field) => targetOfField.get(field) === entry);
    if (fields.length !== 1) throw new Error(`map entry ${message.name}.${entry.name} belongs to ${fields.length} fields, not one`);
    entry.name = mapEntryName(fields[0].name ?? '');
  }
}

function fullNamesOf(files: IFileDescriptorProto[]): Map<object, string> {
  const fullNames = new Map<object, string>();
  const addMessage = (scope: string, message: IDescriptorProto): void => {
    const fullName = `${scope}.${message.name}`;
    fullNames.set(message, fullName);
    message.nestedType?.forEach((nested) => addMessage(fullName, nested));
    message.enumType?.forEach((nested) => fullNames.set(nested, `${fullName}.${nested.name}`));
  };
  for (const file of files) {
    const scope = packageScope(file);
    file.messageType?.forEach((message) => addMessage(scope, message));
    file.enumType?.forEach((proto) => fullNames.set(proto, `${scope}.${proto.name}`));
  }
  return fullNames;
}

function protocFileNames(files: IFileDescriptorProto[], fileNameOfPackage: Readonly<Record<string, string>>): Map<IFileDescriptorProto, string> {
  const names = new Map<IFileDescriptorProto, string>();
  for (const file of files) {
    const name = fileNameOfPackage[file.package ?? ''];
    if (!name) throw new Error(`no protoc file name is known for package "${file.package ?? ''}" (file ${file.name})`);
    if ([...names.values()].includes(name)) throw new Error(`two descriptors would be named ${name}`);
    names.set(file, name);
  }
  return names;
}

/** The files a file's type names point into, in the order they are first used. */
function dependenciesOf(file: IFileDescriptorProto, references: TypeReference[], fileNames: Map<IFileDescriptorProto, string>): string[] {
  const used = references.filter((reference) => reference.file === file && reference.target.file !== file);
  return [...new Set(used.map((reference) => fileNames.get(reference.target.file) ?? ''))];
}

function setJsonName(field: IFieldDescriptorProto): void {
  if (!field.jsonName) field.jsonName = jsonName(field.name ?? '');
}

function forEachMessage(file: IFileDescriptorProto, visit: (message: IDescriptorProto) => void): void {
  const walk = (message: IDescriptorProto): void => {
    visit(message);
    message.nestedType?.forEach(walk);
  };
  file.messageType?.forEach(walk);
}

function packageScope(file: IFileDescriptorProto): string {
  return file.package ? `.${file.package}` : '';
}

function kindOfFieldType(type: IFieldDescriptorProto['type']): TypeDeclaration['kind'] | undefined {
  if (type === TYPE_MESSAGE || type === TYPE_GROUP) return 'message';
  if (type === TYPE_ENUM) return 'enum';
  return undefined;
}
