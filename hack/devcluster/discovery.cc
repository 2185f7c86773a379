#include "hack/devcluster/discovery.h"

#include <map>
#include <set>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace daap::devcluster {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void writeStrings(Writer& writer, const std::vector<std::string>& values) {
  writer.StartArray();
  for (const std::string& value : values) {
    writer.String(value);
  }
  writer.EndArray();
}

// group -> versions, in registration order of the first kind seen.
std::map<std::string, std::set<std::string>> groupVersions(const Registry& registry) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& type : registry.all()) {
    if (!type->group.empty()) {
      out[type->group].insert(type->version);
    }
  }
  return out;
}

void writeGroup(Writer& writer, const std::string& group, const std::set<std::string>& versions) {
  writer.StartObject();
  writer.Key("name");
  writer.String(group);
  writer.Key("versions");
  writer.StartArray();
  for (const std::string& version : versions) {
    writer.StartObject();
    writer.Key("groupVersion");
    writer.String(group + '/' + version);  // NOLINT(performance-inefficient-string-concatenation)
    writer.Key("version");
    writer.String(version);
    writer.EndObject();
  }
  writer.EndArray();
  writer.Key("preferredVersion");
  writer.StartObject();
  writer.Key("groupVersion");
  writer.String(group + "/" + *versions.rbegin());
  writer.Key("version");
  writer.String(*versions.rbegin());
  writer.EndObject();
  writer.EndObject();
}

std::string done(const rapidjson::StringBuffer& buffer) {
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace

std::string versionDocument() {
  return R"({"major":"1","minor":"32","gitVersion":"v1.32.0-daap-devcluster",)"
         R"("gitCommit":"","gitTreeState":"clean","buildDate":"","goVersion":"",)"
         R"("compiler":"gc","platform":"linux/amd64"})";
}

std::string coreVersionsDocument() {
  return R"({"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[)"
         R"({"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]})";
}

std::string groupListDocument(const Registry& registry) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  writer.Key("kind");
  writer.String("APIGroupList");
  writer.Key("apiVersion");
  writer.String("v1");
  writer.Key("groups");
  writer.StartArray();
  for (const auto& [group, versions] : groupVersions(registry)) {
    writeGroup(writer, group, versions);
  }
  writer.EndArray();
  writer.EndObject();
  return done(buffer);
}

Result<std::string> groupDocument(const Registry& registry, std::string_view group) {
  const auto groups = groupVersions(registry);
  const auto it = groups.find(std::string(group));
  if (it == groups.end()) {
    return Error::notFound("the server could not find the requested resource");
  }
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  writer.Key("kind");
  writer.String("APIGroup");
  writer.Key("apiVersion");
  writer.String("v1");
  writer.EndObject();
  std::string head = done(buffer);
  head.pop_back();
  rapidjson::StringBuffer group_buffer;
  Writer group_writer(group_buffer);
  writeGroup(group_writer, it->first, it->second);
  std::string body = done(group_buffer);
  return head + "," + body.substr(1);
}

Result<std::string> resourceListDocument(const Registry& registry, std::string_view group,
                                         std::string_view version) {
  std::vector<std::shared_ptr<const ResourceType>> types;
  for (const auto& type : registry.all()) {
    if (type->group == group && type->version == version) {
      types.push_back(type);
    }
  }
  if (types.empty()) {
    return Error::notFound("the server could not find the requested resource");
  }
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  writer.Key("kind");
  writer.String("APIResourceList");
  writer.Key("apiVersion");
  writer.String("v1");
  writer.Key("groupVersion");
  writer.String(types.front()->apiVersion());
  writer.Key("resources");
  writer.StartArray();
  for (const auto& type : types) {
    writer.StartObject();
    writer.Key("name");
    writer.String(type->plural);
    writer.Key("singularName");
    writer.String(type->singular);
    writer.Key("namespaced");
    writer.Bool(type->namespaced);
    writer.Key("kind");
    writer.String(type->kind);
    writer.Key("verbs");
    writeStrings(writer, {"create", "delete", "deletecollection", "get", "list", "patch", "update",
                          "watch"});
    if (!type->short_names.empty()) {
      writer.Key("shortNames");
      writeStrings(writer, type->short_names);
    }
    if (!type->categories.empty()) {
      writer.Key("categories");
      writeStrings(writer, type->categories);
    }
    writer.EndObject();
    if (type->status_subresource) {
      writer.StartObject();
      writer.Key("name");
      writer.String(type->plural + "/status");
      writer.Key("singularName");
      writer.String("");
      writer.Key("namespaced");
      writer.Bool(type->namespaced);
      writer.Key("kind");
      writer.String(type->kind);
      writer.Key("verbs");
      writeStrings(writer, {"get", "patch", "update"});
      writer.EndObject();
    }
  }
  writer.EndArray();
  writer.EndObject();
  return done(buffer);
}

}  // namespace daap::devcluster
