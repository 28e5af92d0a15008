#!/usr/bin/env python3
"""Checks every build-system manifest of a `tinyae export` folder against the
fields its documentation requires (no tinyae code; PyYAML for the YAML files):

  Arduino library specification 1.5 (arduino.github.io/arduino-cli, "Library
    specification"): library.properties with name, version (semver), author,
    maintainer, sentence, paragraph, category (one of the listed ones), url
    (a URL), architectures (explicit: no '*', no avr), includes naming a
    header in src/; src/ layout; examples/<name>/<name>.ino; extras/;
    keywords.txt lines "name<TAB>KEYWORD1|KEYWORD2|LITERAL1".
  PlatformIO library.json (docs.platformio.org, "library.json"): name and
    version required; build.srcDir and every listed header present.
  ESP-IDF (docs.espressif.com, "Build System", "IDF Component Manager"):
    CMakeLists.txt calls idf_component_register with SRCS that exist and
    INCLUDE_DIRS; idf_component.yml with version, description, url,
    dependencies.idf.
  Zephyr module (docs.zephyrproject.org, "Modules"): zephyr/module.yml with
    name and build.cmake / build.kconfig pointing at files that exist; the
    Kconfig declares the CONFIG symbol zephyr/CMakeLists.txt tests.
  Plain CMake: project() with a numeric VERSION, install(EXPORT),
    cmake/<name>Config.cmake.
Every manifest must state the same version.

Usage: check_packages.py DIR   (exit 0 if all hold; prints each failure)
"""
import json
import os
import re
import sys

import yaml

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
ARDUINO_CATEGORIES = {"Display", "Communication", "Signal Input/Output", "Sensors", "Device Control", "Timing",
                      "Data Storage", "Data Processing", "Other"}
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def read(root, path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        return f.read()


def arduino(root):
    fields = dict(line.split("=", 1) for line in read(root, "library.properties").splitlines()
                  if line and not line.startswith("#"))
    for key in ("name", "version", "author", "maintainer", "sentence", "paragraph", "category", "url",
                "architectures"):
        check(fields.get(key, "").strip(), f"library.properties: '{key}' missing or empty")
    check(SEMVER.match(fields.get("version", "")), f"library.properties: version {fields.get('version')} not semver")
    check(fields.get("category") in ARDUINO_CATEGORIES, f"library.properties: category {fields.get('category')}")
    check(re.match(r"^https?://\S+$", fields.get("url", "")), f"library.properties: url {fields.get('url')!r}")
    architectures = [a.strip() for a in fields.get("architectures", "").split(",")]
    check("*" not in architectures and "avr" not in architectures,
          f"library.properties: architectures {architectures} must be explicit, without avr")
    for header in fields.get("includes", "").split(","):
        check(os.path.isfile(os.path.join(root, "src", header.strip())), f"library.properties: includes {header}")
    check(os.path.isdir(os.path.join(root, "extras")), "extras/ missing")
    check(os.path.isfile(os.path.join(root, "examples", "tinyae_autoencoder", "tinyae_autoencoder.ino")),
          "examples/tinyae_autoencoder/tinyae_autoencoder.ino missing")
    for n, line in enumerate(read(root, "keywords.txt").splitlines(), 1):
        if line and not line.startswith("#"):
            check(re.match(r"^\w+\t(KEYWORD1|KEYWORD2|KEYWORD3|LITERAL1|LITERAL2)$", line),
                  f"keywords.txt:{n}: {line!r}")
    return fields["version"]


def platformio(root):
    library = json.loads(read(root, "library.json"))
    for key in ("name", "version"):
        check(library.get(key), f"library.json: '{key}' missing")
    check(SEMVER.match(library.get("version", "")), f"library.json: version {library.get('version')}")
    src = library.get("build", {}).get("srcDir", "src")
    check(os.path.isdir(os.path.join(root, src)), f"library.json: build.srcDir {src} missing")
    for header in library.get("headers", []):
        check(os.path.isfile(os.path.join(root, src, header)), f"library.json: header {header} missing")
    return library["version"]


def esp_idf(root):
    cmake = read(root, "CMakeLists.txt")
    register = re.search(r"idf_component_register\((.*?)\)", cmake, re.S)
    if check(register, "CMakeLists.txt: no idf_component_register"):
        sources = re.findall(r'"([^"]+\.c)"', register.group(1))
        check(sources, "idf_component_register: no SRCS")
        for source in sources:
            check(os.path.isfile(os.path.join(root, source)), f"idf_component_register: {source} missing")
        check("INCLUDE_DIRS" in register.group(1), "idf_component_register: no INCLUDE_DIRS")
    manifest = yaml.safe_load(read(root, "idf_component.yml"))
    for key in ("version", "description", "url"):
        check(manifest.get(key), f"idf_component.yml: '{key}' missing")
    check(manifest.get("dependencies", {}).get("idf"), "idf_component.yml: dependencies.idf missing")
    return manifest["version"]


def zephyr(root):
    module = yaml.safe_load(read(root, "zephyr/module.yml"))
    check(module.get("name"), "zephyr/module.yml: name missing")
    build = module.get("build", {})
    check(os.path.isfile(os.path.join(root, build.get("cmake", "?"), "CMakeLists.txt")),
          "zephyr/module.yml: build.cmake has no CMakeLists.txt")
    check(os.path.isfile(os.path.join(root, build.get("kconfig", "?"))), "zephyr/module.yml: build.kconfig missing")
    symbols = re.findall(r"^config (\w+)$", read(root, build.get("kconfig", "zephyr/Kconfig")), re.M)
    cmake = read(root, os.path.join(build.get("cmake", "zephyr"), "CMakeLists.txt"))
    check(symbols and f"CONFIG_{symbols[0]}" in cmake, "zephyr: CMakeLists.txt does not test the Kconfig symbol")
    for source in re.findall(r"\$\{CMAKE_CURRENT_LIST_DIR\}/(\S+\.c)", cmake):
        check(os.path.isfile(os.path.join(root, "zephyr", source)), f"zephyr/CMakeLists.txt: {source} missing")


def cmake(root):
    text = read(root, "CMakeLists.txt")
    project = re.search(r"project\((\w+) VERSION ([0-9.]+)", text)
    if not check(project, "CMakeLists.txt: no project(NAME VERSION x.y.z)"):
        return None
    name = project.group(1)
    check(f"install(EXPORT {name}Targets" in text, "CMakeLists.txt: no install(EXPORT)")
    check(os.path.isfile(os.path.join(root, "cmake", f"{name}Config.cmake")), f"cmake/{name}Config.cmake missing")
    return project.group(2)


def main(root):
    versions = {"arduino": arduino(root), "platformio": platformio(root), "esp-idf": esp_idf(root),
                "cmake": cmake(root)}
    zephyr(root)
    check(len(set(versions.values())) == 1, f"manifests state different versions: {versions}")
    for failure in failures:
        print("FAIL", failure)
    print(f"{root}: every manifest holds its required fields (version {versions['arduino']})" if not failures
          else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
