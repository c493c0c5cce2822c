import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadSync, type MessageTypeDefinition } from '@grpc/proto-loader';
import { FileDescriptorProto, type IDescriptorProto, type IFileDescriptorProto } from 'protobufjs/ext/descriptor';
import { jsonName, mapEntryName, toProtocDescriptors } from './protoc-descriptors';

/**
 * Sources that exercise nested scopes, a shadowed name, maps of messages and enums from another
 * package and odd field names. Every expected value below is what protoc 3.21 writes for them.
 */
const SOURCES: Record<string, string> = {
  'other/dep.proto': `syntax = "proto3";
    package other;
    message Thing { enum Color { COLOR_UNSPECIFIED = 0; } Color color = 1; }`,
  'a/b/tricky.proto': `syntax = "proto3";
    package a.b;
    import "other/dep.proto";
    message Outer {
      message Inner { enum Kind { KIND_UNSPECIFIED = 0; } Kind kind = 1; }
      map<string, Inner> by_name = 1;
      map<int32, .a.b.Inner> top_level = 2;
      map<string, other.Thing> things__x_ = 3;
      Inner inner = 4;
      other.Thing thing = 5;
      oneof choice { string s = 6; Inner i = 7; }
      map<string, other.Thing.Color> _colors = 8;
      repeated Inner.Kind kinds = 9;
    }
    message Inner { string x = 1; }
    service S { rpc Do(Outer) returns (other.Thing); rpc Stream(stream Inner) returns (stream Inner); }`,
};
const FILE_NAMES = { 'a.b': 'a/b/tricky.proto', other: 'other/dep.proto' };

/** Loads the sources with proto-loader, as the gateway loads mfa.proto, and rewrites the result. */
function loadAndRewrite(fileNames: Record<string, string> = FILE_NAMES): IFileDescriptorProto[] {
  const dir = mkdtempSync(join(tmpdir(), 'protoc-descriptors-'));
  try {
    for (const [name, source] of Object.entries(SOURCES)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), source);
    }
    const definition = loadSync('a/b/tricky.proto', { keepCase: true, includeDirs: [dir] });
    const encoded = (definition['a.b.Inner'] as MessageTypeDefinition<object, object>).fileDescriptorProtos;
    return toProtocDescriptors(encoded, fileNames).map((bytes) => FileDescriptorProto.decode(bytes) as IFileDescriptorProto);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const byName = <T extends { name?: string }>(items: T[] | undefined, name: string): T => {
  const found = items?.find((item) => item.name === name);
  if (!found) throw new Error(`${name} missing`);
  return found;
};

describe('FileDescriptorProtos rewritten as protoc writes them', () => {
  const files = loadAndRewrite();
  const tricky = byName(files, 'a/b/tricky.proto');
  const outer = byName(tricky.messageType, 'Outer');

  it('names each file by its path below the proto root and lists the file it imports', () => {
    expect(files.map((file) => file.name).sort()).toEqual(['a/b/tricky.proto', 'other/dep.proto']);
    expect(tricky.dependency).toEqual(['other/dep.proto']);
    expect(byName(files, 'other/dep.proto').dependency).toEqual([]);
  });

  it.each([
    ['by_name', '.a.b.Outer.ByNameEntry'],
    ['top_level', '.a.b.Outer.TopLevelEntry'],
    ['things__x_', '.a.b.Outer.ThingsXEntry'],
    ['inner', '.a.b.Outer.Inner'],
    ['thing', '.other.Thing'],
    ['i', '.a.b.Outer.Inner'],
    ['_colors', '.a.b.Outer.ColorsEntry'],
    ['kinds', '.a.b.Outer.Inner.Kind'],
  ])('gives Outer.%s the fully qualified type name %s', (field, typeName) => {
    expect(byName(outer.field, field).typeName).toBe(typeName);
  });

  it.each([
    ['ByNameEntry', 11, '.a.b.Outer.Inner'],
    ['TopLevelEntry', 11, '.a.b.Inner'],
    ['ThingsXEntry', 11, '.other.Thing'],
    ['ColorsEntry', 14, '.other.Thing.Color'],
  ])('declares the map entry %s with key = 1, value = 2 of %s %s and map_entry set', (entryName, valueType, valueTypeName) => {
    const entry: IDescriptorProto = byName(outer.nestedType, entryName);
    expect(entry.options?.mapEntry).toBe(true);
    expect(byName(entry.field, 'key')).toMatchObject({ number: 1, label: 1 });
    expect(byName(entry.field, 'value')).toMatchObject({ number: 2, label: 1, type: valueType, typeName: valueTypeName });
  });

  it('qualifies nested enum references and method types', () => {
    expect(byName(byName(outer.nestedType, 'Inner').field, 'kind').typeName).toBe('.a.b.Outer.Inner.Kind');
    expect(byName(byName(files, 'other/dep.proto').messageType, 'Thing').field?.[0].typeName).toBe('.other.Thing.Color');
    const methods = byName(tricky.service, 'S').method ?? [];
    expect(methods.map((m) => [m.name, m.inputType, m.outputType])).toEqual([
      ['Do', '.a.b.Outer', '.other.Thing'],
      ['Stream', '.a.b.Inner', '.a.b.Inner'],
    ]);
  });

  it('gives every field its default JSON name', () => {
    expect(outer.field?.map((field) => field.jsonName)).toEqual(['byName', 'topLevel', 'thingsX', 'inner', 'thing', 's', 'i', 'Colors', 'kinds']);
  });

  it('refuses a package it has no protoc file name for', () => {
    expect(() => loadAndRewrite({ 'a.b': 'a/b/tricky.proto' })).toThrow('no protoc file name is known for package "other"');
  });
});

describe('protoc naming rules', () => {
  it.each([
    ['details', 'DetailsEntry', 'details'],
    ['by_name', 'ByNameEntry', 'byName'],
    ['things__x_', 'ThingsXEntry', 'thingsX'],
    ['_colors', 'ColorsEntry', 'Colors'],
    ['v2_value', 'V2ValueEntry', 'v2Value'],
  ])('names the map entry of %s %s and gives it the JSON name %s', (field, entry, json) => {
    expect(mapEntryName(field)).toBe(entry);
    expect(jsonName(field)).toBe(json);
  });
});
